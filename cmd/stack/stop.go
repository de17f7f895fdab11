package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "stop", newStopCommand)
}

type stopOptions struct {
	global   *globalOptions
	services []string
	timeout  int
}

func newStopCommand(g *globalOptions) *cobra.Command {
	o := &stopOptions{global: g}
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] [SERVICE...]",
		Short: "Stop services' containers, dependents first",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services = args
			return runStop(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVarP(&o.timeout, "timeout", "t", -1, "seconds to wait for each container to stop before killing it")
	return cmd
}

func runStop(ctx context.Context, o *stopOptions) error {
	s, err := openProject(ctx, o.global, true)
	if err != nil {
		return err
	}
	defer s.close()
	return stopServices(ctx, s, o.services, o.timeout)
}

func stopServices(ctx context.Context, s *projectSession, services []string, timeout int) error {
	observed, err := s.observe(ctx)
	if err != nil {
		return err
	}
	plan, err := planner.ComputeStop(s.project, observed, services, secondsOrNil(timeout))
	if err != nil {
		return err
	}
	return s.apply(ctx, plan)
}

// secondsOrNil reads a -t flag: negative means the containers' own timeout.
func secondsOrNil(seconds int) *time.Duration {
	if seconds < 0 {
		return nil
	}
	d := time.Duration(seconds) * time.Second
	return &d
}
