package main

import (
	"context"

	"github.com/spf13/cobra"
)

func init() {
	register("", "restart", newRestartCommand)
}

type restartOptions struct {
	global   *globalOptions
	services []string
	timeout  int
}

func newRestartCommand(g *globalOptions) *cobra.Command {
	o := &restartOptions{global: g}
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] [SERVICE...]",
		Short: "Restart services' containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services = args
			return runRestart(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVarP(&o.timeout, "timeout", "t", -1, "seconds to wait for each container to stop before killing it")
	return cmd
}

// runRestart stops the containers, dependents first, then starts them,
// dependencies first.
func runRestart(ctx context.Context, o *restartOptions) error {
	s, err := openProject(ctx, o.global, true)
	if err != nil {
		return err
	}
	defer s.close()
	if err := stopServices(ctx, s, o.services, o.timeout); err != nil {
		return err
	}
	return startServices(ctx, s, o.services)
}
