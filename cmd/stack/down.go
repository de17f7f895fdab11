package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "down", newDownCommand)
}

type downOptions struct {
	global        *globalOptions
	volumes       bool
	rmi           string
	removeOrphans bool
	timeout       int
	dryRun        bool
}

func newDownCommand(g *globalOptions) *cobra.Command {
	o := &downOptions{global: g}
	cmd := &cobra.Command{
		Use:   "down [OPTIONS]",
		Short: "Stop and remove containers and networks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDown(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.volumes, "volumes", "v", false, "remove named volumes declared in the stack file and anonymous volumes of the containers")
	f.StringVar(&o.rmi, "rmi", "", `remove images used by services: "local" (only those without a custom tag) or "all"`)
	f.BoolVar(&o.removeOrphans, "remove-orphans", false, "remove containers of services no longer in the stack file")
	f.IntVarP(&o.timeout, "timeout", "t", -1, "seconds to wait for containers to stop before killing them")
	f.BoolVar(&o.dryRun, "dry-run", false, "print what would be done and change nothing")
	return cmd
}

func runDown(ctx context.Context, o *downOptions) error {
	s, err := openProject(ctx, o.global, !o.dryRun)
	if err != nil {
		return err
	}
	defer s.close()
	observed, err := s.observe(ctx)
	if err != nil {
		return err
	}
	options := planner.DownOptions{RemoveOrphans: o.removeOrphans, Volumes: o.volumes, Images: o.rmi}
	if o.timeout >= 0 {
		d := time.Duration(o.timeout) * time.Second
		options.Timeout = &d
	}
	plan, err := planner.ComputeDown(s.project, observed, options)
	if err != nil {
		return err
	}
	if o.dryRun {
		printWarnings(plan)
		for _, step := range plan.Steps() {
			fmt.Println(step)
		}
		return nil
	}
	return s.apply(ctx, plan)
}
