package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("container", "wait", newContainerWaitCommand)
}

type containerWaitOptions struct {
	global *globalOptions
	refs   []string
	out    io.Writer
}

func newContainerWaitCommand(g *globalOptions) *cobra.Command {
	o := &containerWaitOptions{global: g}
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Wait for containers to stop and print their exit codes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerWait(cmd.Context(), o)
		},
	}
}

func runContainerWait(ctx context.Context, o *containerWaitOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	for _, ref := range o.refs {
		code, err := store.Wait(ctx, ref)
		if err != nil {
			return err
		}
		fmt.Fprintln(o.out, code)
	}
	return nil
}
