//go:build embedinit

// Package initbin carries cmd/stack-init, the containers' init, for the
// binaries that start containers: stack and its monitor. `make build`
// builds it into stack-init.bin here before them (a generated file, never
// committed) and builds them with the embedinit tag.
package initbin

import _ "embed"

// Binary is cmd/stack-init. A string, so that it stays in the binary's
// read-only data, from where the kernel copies it (see
// container.UseInitBinary).
//
//go:embed stack-init.bin
var Binary string
