//go:build embedinit

package main

import _ "embed"

// initBinary is cmd/stack-init, built by `make build` into stack-init.bin
// before this binary: containers' inits run from a sealed copy of it
// rather than of this whole binary, which takes several times as long to
// start. A string, so that it stays in the binary's read-only data, from
// where the kernel copies it (see container.UseInitBinary).
//
//go:embed stack-init.bin
var initBinary string
