package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("network", "prune", newNetworkPruneCommand)
}

type networkPruneOptions struct {
	global  *globalOptions
	filters []string
	out     io.Writer
}

func newNetworkPruneCommand(g *globalOptions) *cobra.Command {
	o := &networkPruneOptions{global: g}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove every network without containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			return runNetworkPrune(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.filters, "filter", nil, "only networks with label=<key>[=<value>] (repeatable)")
	shadowGlobalFlags(f, "file")
	f.BoolP("force", "f", false, "do not prompt (stack never prompts)")
	return cmd
}

func runNetworkPrune(_ context.Context, o *networkPruneOptions) error {
	match, err := parseLabelFilters(o.filters)
	if err != nil {
		return err
	}
	removed, err := networkManager(o.global).Prune(match)
	if len(removed) > 0 {
		fmt.Fprintln(o.out, "Deleted Networks:")
		for _, name := range removed {
			fmt.Fprintln(o.out, name)
		}
	}
	return err
}
