package main

import (
	"context"

	"github.com/spf13/cobra"
)

func init() {
	register("", "unpause", newUnpauseCommand)
}

type unpauseOptions struct {
	global   *globalOptions
	services []string
}

func newUnpauseCommand(g *globalOptions) *cobra.Command {
	o := &unpauseOptions{global: g}
	return &cobra.Command{
		Use:   "unpause [SERVICE...]",
		Short: "Unpause services' paused containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services = args
			return runUnpause(cmd.Context(), o)
		},
	}
}

func runUnpause(ctx context.Context, o *unpauseOptions) error {
	return pauseServices(ctx, o.global, o.services, false)
}
