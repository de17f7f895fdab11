package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("container", "pause", newContainerPauseCommand)
}

type containerPauseOptions struct {
	global *globalOptions
	refs   []string
	out    io.Writer
}

func newContainerPauseCommand(g *globalOptions) *cobra.Command {
	o := &containerPauseOptions{global: g}
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerPause(cmd.Context(), o)
		},
	}
}

func runContainerPause(_ context.Context, o *containerPauseOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	return eachRef(o.refs, o.out, store.Pause)
}
