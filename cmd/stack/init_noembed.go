//go:build !embedinit

package main

// initBinary is empty without the embedinit build tag: containers' inits
// run from a sealed copy of this binary itself (see main).
var initBinary string
