package main

import (
	"context"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "start", newStartCommand)
}

type startOptions struct {
	global   *globalOptions
	services []string
}

func newStartCommand(g *globalOptions) *cobra.Command {
	o := &startOptions{global: g}
	return &cobra.Command{
		Use:   "start [SERVICE...]",
		Short: "Start the existing containers of services",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services = args
			return runStart(cmd.Context(), o)
		},
	}
}

func runStart(ctx context.Context, o *startOptions) error {
	s, err := openProject(ctx, o.global, true)
	if err != nil {
		return err
	}
	defer s.close()
	return startServices(ctx, s, o.services)
}

func startServices(ctx context.Context, s *projectSession, services []string) error {
	observed, err := s.observe(ctx)
	if err != nil {
		return err
	}
	plan, err := planner.ComputeStart(s.project, observed, services)
	if err != nil {
		return err
	}
	return s.apply(ctx, plan)
}
