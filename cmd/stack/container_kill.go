package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("container", "kill", newContainerKillCommand)
}

type containerKillOptions struct {
	global *globalOptions
	refs   []string
	signal string
	out    io.Writer
}

func newContainerKillCommand(g *globalOptions) *cobra.Command {
	o := &containerKillOptions{global: g}
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Send a signal to running containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerKill(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.signal, "signal", "s", "KILL", "signal to send")
	return cmd
}

func runContainerKill(ctx context.Context, o *containerKillOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	return eachRef(o.refs, o.out, func(ref string) error { return store.Kill(ctx, ref, o.signal) })
}
