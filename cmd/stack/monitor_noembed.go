//go:build !embedinit

package main

// monitorBinary is empty without the embedinit build tag: containers'
// monitors run this binary itself (see monitorArgv).
var monitorBinary string
