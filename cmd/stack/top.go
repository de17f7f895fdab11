package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("", "top", newTopCommand)
}

type topOptions struct {
	global   *globalOptions
	services []string
	out      io.Writer
}

func newTopCommand(g *globalOptions) *cobra.Command {
	o := &topOptions{global: g}
	return &cobra.Command{
		Use:   "top [SERVICE...]",
		Short: "Show the processes of services' running containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out = args, cmd.OutOrStdout()
			return runTop(cmd.Context(), o)
		},
	}
}

// runTop prints, for each running container, its name and then its
// processes as `stack container top` shows them.
func runTop(ctx context.Context, o *topOptions) error {
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	cs, err := serviceContainers(s, o.services)
	if err != nil {
		return err
	}
	first := true
	for _, c := range cs {
		if !c.Running() {
			continue
		}
		if !first {
			fmt.Fprintln(o.out)
		}
		first = false
		fmt.Fprintln(o.out, c.Name)
		if err := runContainerTop(ctx, &containerTopOptions{global: o.global, ref: c.ID, out: o.out}); err != nil {
			return err
		}
	}
	return nil
}
