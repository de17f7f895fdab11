// Package registry pulls images from and pushes images to OCI and Docker
// registries, and keeps registry logins in Docker's config.json so that
// existing Docker logins and credential helpers work unchanged.
//
// Every fault is reported as an *Error whose Kind is one of the sentinels in
// errors.go, so callers can tell an unreachable registry from rejected
// credentials, an unknown repository, an unknown tag or corrupted content.
package registry
