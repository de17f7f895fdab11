package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "plan", newPlanCommand)
}

type planOptions struct {
	global   *globalOptions
	up       upPlanFlags
	services []string
	dag      bool
	out      io.Writer
}

func newPlanCommand(g *globalOptions) *cobra.Command {
	o := &planOptions{global: g}
	cmd := &cobra.Command{
		Use:   "plan [OPTIONS] [SERVICE...]",
		Short: "Print what up would do, and why, without doing it",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out = args, cmd.OutOrStdout()
			return runPlan(cmd.Context(), o)
		},
	}
	o.up.register(cmd)
	cmd.Flags().BoolVar(&o.dag, "dag", false, "print every action with its dependencies instead of one line per step")
	return cmd
}

func runPlan(ctx context.Context, o *planOptions) error {
	project, err := loadProject(ctx, o.global)
	if err != nil {
		return err
	}
	options, err := o.up.options(o.services)
	if err != nil {
		return err
	}
	h, err := openHost(o.global)
	if err != nil {
		return err
	}
	observed, err := h.observe(ctx, project)
	if err != nil {
		return err
	}
	plan, err := planner.Compute(project, observed, options)
	if err != nil {
		return err
	}
	for _, w := range plan.Warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	return printPlan(o.out, plan, o.dag)
}

func printPlan(out io.Writer, plan *planner.Plan, dag bool) error {
	if dag {
		fmt.Fprint(out, (&planner.Plan{Nodes: plan.Nodes}).String())
	} else {
		for _, step := range plan.Steps() {
			fmt.Fprintln(out, step)
		}
	}
	if plan.Empty() {
		fmt.Fprintln(out, "nothing to do")
	}
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "SERVICE\tCREATE\tRECREATE\tSTART\tREMOVE\tUNCHANGED")
	for _, s := range plan.Services {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\n", s.Service, s.Create, s.Recreate, s.Start, s.Remove, s.Unchanged)
	}
	return w.Flush()
}
