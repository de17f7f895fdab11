package main

import (
	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("", monitorCommandName, newMonitorCommand)
}

// monitorCommandName is the hidden command a container's monitor runs as.
const monitorCommandName = "__monitor"

type monitorOptions struct {
	global *globalOptions
	id     string
}

func newMonitorCommand(g *globalOptions) *cobra.Command {
	o := &monitorOptions{global: g}
	return &cobra.Command{
		Use:    monitorCommandName + " ID",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.id = args[0]
			return runMonitor(o)
		},
	}
}

func runMonitor(o *monitorOptions) error {
	store, err := container.OpenStore(o.global.Root, o.global.RunRoot)
	if err != nil {
		return err
	}
	return container.RunMonitor(store, o.id, newHooks(o.global))
}
