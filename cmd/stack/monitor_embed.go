//go:build embedinit

package main

import _ "embed"

// monitorBinary is cmd/stack-monitor, built by `make build` into
// stack-monitor.bin before this binary (a generated file, never
// committed): containers' monitors run from it rather than from this
// whole binary, which takes twice as long to start, and each container
// start waits for its monitor. A string, so that it stays in the binary's
// read-only data, from where the kernel copies it (see monitorExecutable).
//
//go:embed stack-monitor.bin
var monitorBinary string
