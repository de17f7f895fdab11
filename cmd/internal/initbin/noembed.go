//go:build !embedinit

// Package initbin carries cmd/stack-init, the containers' init, for the
// binaries that start containers: stack and its monitor. `make build`
// builds it into stack-init.bin here before them (a generated file, never
// committed) and builds them with the embedinit tag.
package initbin

// Binary is empty without the embedinit build tag: containers' inits run
// from a sealed copy of the binary that starts them.
var Binary string
