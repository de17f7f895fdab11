package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("container", "unpause", newContainerUnpauseCommand)
}

type containerUnpauseOptions struct {
	global *globalOptions
	refs   []string
	out    io.Writer
}

func newContainerUnpauseCommand(g *globalOptions) *cobra.Command {
	o := &containerUnpauseOptions{global: g}
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerUnpause(cmd.Context(), o)
		},
	}
}

func runContainerUnpause(_ context.Context, o *containerUnpauseOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	return eachRef(o.refs, o.out, store.Unpause)
}
