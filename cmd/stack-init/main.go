// Command stack-init is the init of stack's containers and the helper that
// starts exec and healthcheck processes in containers without one. stack
// carries it (see cmd/stack's init_embed.go) and runs it from a sealed
// in-memory copy: it starts in a fraction of the time the whole stack
// binary needs, and each container start runs it once on its critical path.
// It is not meant to be run by hand.
package main

import (
	"fmt"
	"os"

	"stack/runtime/container"
)

func main() {
	// The exec helper is recognized in package container's initializer,
	// before main.
	if container.IsInit() {
		container.InitMain()
	}
	fmt.Fprintln(os.Stderr, "stack-init: the init of stack's containers, started by their monitor; it is not run by hand (see stack container run)")
	os.Exit(2)
}
