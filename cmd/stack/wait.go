package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("", "wait", newWaitCommand)
}

type waitOptions struct {
	global   *globalOptions
	services []string
	out      io.Writer
}

func newWaitCommand(g *globalOptions) *cobra.Command {
	o := &waitOptions{global: g}
	return &cobra.Command{
		Use:   "wait SERVICE [SERVICE...]",
		Short: "Wait for services' containers to stop and print their exit codes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out = args, cmd.OutOrStdout()
			return runWait(cmd.Context(), o)
		},
	}
}

func runWait(ctx context.Context, o *waitOptions) error {
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	cs, err := serviceContainers(s, o.services)
	if err != nil {
		return err
	}
	for _, c := range cs {
		done, err := waitStopped(ctx, s.host.containers, c.ID)
		if err != nil {
			return err
		}
		fmt.Fprintln(o.out, done.State.ExitCode)
	}
	return nil
}
