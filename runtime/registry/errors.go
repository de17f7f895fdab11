package registry

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Kinds of registry failures, checked with errors.Is.
var (
	ErrUnreachable        = errors.New("registry unreachable")
	ErrPlainHTTP          = errors.New("registry is not configured as insecure")
	ErrAuthRequired       = errors.New("authentication required")
	ErrBadCredentials     = errors.New("credentials rejected")
	ErrDenied             = errors.New("access denied")
	ErrRepositoryNotFound = errors.New("repository not found")
	ErrManifestNotFound   = errors.New("tag or digest not found")
	ErrDigestMismatch     = errors.New("content does not match its digest")
	ErrNoPlatform         = errors.New("no image for this platform")
	ErrInvalidReference   = errors.New("invalid image reference")
	ErrRegistry           = errors.New("registry error") // any other failure
)

// Error is a failed registry operation: what was done, on which reference
// or registry, what kind of failure it was and the detail that explains it.
type Error struct {
	Op     string // "pull", "push", "login"
	Ref    string // the image reference or registry the operation was about
	Kind   error  // one of the Err* sentinels
	Detail string // a sentence for the user, without the Op and Ref
	Err    error  // the underlying error, may be nil
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.Op, e.Ref, e.Detail)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// target names what an operation is about, for classify's messages.
type target struct {
	op       string
	ref      string // as the user wrote it, normalized
	registry string // host:port
	repo     string // registry/repository
	id       string // tag or digest
	authed   bool   // whether credentials were sent
	platform string // os/arch[/variant] a pull resolves an index to
}

// classify turns an error from the registry client into an *Error with a
// kind and a message that says what went wrong in the user's terms.
func (t target) classify(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Op: t.op, Ref: t.ref}
	var unreachable *unreachableError
	var mismatch *DigestMismatchError
	var terr *transport.Error
	switch {
	case errors.As(err, &mismatch):
		e.Kind, e.Detail = ErrDigestMismatch, mismatch.Error()
	case errors.As(err, &unreachable):
		e.Kind, e.Detail, e.Err = ErrUnreachable, fmt.Sprintf("registry %s is unreachable", unreachable.addr), unreachable.err
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		e.Kind, e.Err = ErrPlainHTTP, err
		e.Detail = fmt.Sprintf("registry %s speaks plain HTTP only; allow it with --insecure-registry %s or in %s", t.registry, t.registry, DefaultConfigPath)
	case isDigestMismatch(err):
		e.Kind, e.Detail, e.Err = ErrDigestMismatch, "content from "+t.registry+" does not match its digest", err
	case errors.As(err, &terr):
		t.classifyStatus(e, terr)
	case strings.Contains(err.Error(), "no child with platform"):
		e.Kind, e.Detail = ErrNoPlatform, fmt.Sprintf("no image for %s in the index", t.platform)
	default:
		return &Error{Op: t.op, Ref: t.ref, Kind: ErrRegistry, Detail: "registry " + t.registry, Err: err}
	}
	return e
}

func (t target) classifyStatus(e *Error, terr *transport.Error) {
	codes := map[transport.ErrorCode]bool{}
	for _, d := range terr.Errors {
		codes[d.Code] = true
	}
	switch {
	case terr.StatusCode == http.StatusUnauthorized || codes[transport.UnauthorizedErrorCode]:
		if t.authed {
			e.Kind, e.Detail = ErrBadCredentials, fmt.Sprintf("registry %s rejected the credentials", t.registry)
		} else {
			e.Kind, e.Detail = ErrAuthRequired, fmt.Sprintf("registry %s requires authentication (stack login %s)", t.registry, t.registry)
		}
	case terr.StatusCode == http.StatusForbidden || codes[transport.DeniedErrorCode]:
		e.Kind, e.Detail = ErrDenied, fmt.Sprintf("access to %s denied", t.repo)
	case codes[transport.NameUnknownErrorCode]:
		e.Kind, e.Detail = ErrRepositoryNotFound, fmt.Sprintf("repository %s not found", t.repo)
	case codes[transport.ManifestUnknownErrorCode] || terr.StatusCode == http.StatusNotFound:
		what := "tag " + t.id
		if strings.Contains(t.id, ":") {
			what = "digest " + t.id
		}
		e.Kind, e.Detail = ErrManifestNotFound, fmt.Sprintf("%s not found in %s", what, t.repo)
	case codes[transport.DigestInvalidErrorCode]:
		e.Kind, e.Detail = ErrDigestMismatch, fmt.Sprintf("registry %s says the content does not match its digest", t.registry)
	default:
		e.Kind, e.Detail, e.Err = ErrRegistry, "registry "+t.registry, terr
	}
}

// isDigestMismatch recognizes the verification failures of the registry
// client, which are plain errors.
func isDigestMismatch(err error) bool {
	s := err.Error()
	return strings.Contains(s, "error verifying") ||
		(strings.Contains(s, "digest") && strings.Contains(s, "does not match"))
}

// DigestMismatchError is content whose bytes do not hash to the digest that
// names it.
type DigestMismatchError struct {
	Registry string
	Want     string
	Got      string
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("blob %s from %s does not match its digest (got %s)", e.Want, e.Registry, e.Got)
}
