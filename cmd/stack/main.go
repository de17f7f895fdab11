// Command stack is a declarative multi-container orchestrator: it reads a
// Compose-format stack file and runs the containers it describes with its own
// container runtime, bridge networking and embedded DNS.
package main

import (
	"fmt"
	"os"

	"stack/cmd/internal/initbin"
	_ "stack/cmd/internal/warmstart"
	"stack/runtime/container"
)

func main() {
	// A container's init is this binary too when it carries no init binary
	// of its own; it must not parse flags.
	if container.IsInit() {
		container.InitMain()
	}
	container.UseInitBinary(initbin.Binary)
	if err := newRootCommand().Execute(); err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintf(os.Stderr, "stack: %s\n", msg)
		}
		os.Exit(exitCode(err))
	}
}
