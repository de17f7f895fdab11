// Command stack-monitor is the monitor of stack's containers: started by
// stack for each container, it lives in the host's namespaces, starts the
// container's init, wires its networking and serves its DNS, logs its
// output, restarts it and runs its healthchecks (see
// container.RunMonitor). stack carries it (cmd/stack's monitor_embed.go)
// and writes it once into the run root, from where monitors run: it
// carries the container runtime, networking and DNS but not the command
// line, the stack file model or images, and starts in half the time of
// the whole stack binary, on every container start's critical path.
//
// Its arguments are those of stack's hidden __monitor command:
//
//	stack-monitor --root DIR --run-root DIR [--log-level LEVEL] __monitor ID
//
// It is not meant to be run by hand.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"stack/cmd/internal/hooks"
	"stack/cmd/internal/initbin"
	"stack/runtime/container"
)

func main() {
	// Without an init binary of its own (a build without the embedinit
	// tag), containers' inits run from a copy of this binary.
	if container.IsInit() {
		container.InitMain()
	}
	container.UseInitBinary(initbin.Binary)
	root, runRoot, id, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "stack-monitor: %s (the monitor of stack's containers, started by stack; it is not run by hand)\n", err)
		os.Exit(2)
	}
	if err := monitor(root, runRoot, id); err != nil {
		fmt.Fprintf(os.Stderr, "stack: %s\n", err)
		os.Exit(1)
	}
}

// parseArgs reads the arguments stack gives a monitor.
func parseArgs(args []string) (root, runRoot, id string, err error) {
	fs := flag.NewFlagSet("stack-monitor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&root, "root", "", "directory of persistent state")
	fs.StringVar(&runRoot, "run-root", "", "directory of live state")
	fs.String("log-level", "info", "log level")
	if err := fs.Parse(args); err != nil {
		return "", "", "", err
	}
	rest := fs.Args()
	switch {
	case root == "" || runRoot == "":
		return "", "", "", fmt.Errorf("expected --root DIR --run-root DIR")
	case len(rest) != 2 || rest[0] != "__monitor" || rest[1] == "":
		return "", "", "", fmt.Errorf("expected __monitor ID after the options, got %q", rest)
	}
	return root, runRoot, rest[1], nil
}

func monitor(root, runRoot, id string) error {
	store, err := container.OpenStore(root, runRoot)
	if err != nil {
		return err
	}
	return container.RunMonitor(store, id, hooks.New(root, runRoot).Hooks())
}
