package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"stack/network"
)

func init() {
	register("network", "ls", newNetworkLsCommand)
}

type networkLsOptions struct {
	global  *globalOptions
	format  string
	quiet   bool
	filters []string
	out     io.Writer
}

func newNetworkLsCommand(g *globalOptions) *cobra.Command {
	o := &networkLsOptions{global: g}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			return runNetworkLs(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only names")
	f.StringArrayVar(&o.filters, "filter", nil, "filter by label=<key>[=<value>] (repeatable)")
	return cmd
}

func runNetworkLs(_ context.Context, o *networkLsOptions) error {
	match, err := parseLabelFilters(o.filters)
	if err != nil {
		return err
	}
	all, err := networkManager(o.global).List()
	if err != nil {
		return err
	}
	var nets []*network.Network
	for _, n := range all {
		if network.HasLabels(n.Labels, match) {
			nets = append(nets, n)
		}
	}
	switch {
	case o.quiet:
		for _, n := range nets {
			fmt.Fprintln(o.out, n.Name)
		}
	case o.format == "json":
		if nets == nil {
			nets = []*network.Network{}
		}
		enc := json.NewEncoder(o.out)
		enc.SetIndent("", "  ")
		return enc.Encode(nets)
	case o.format == "table":
		w := tabwriter.NewWriter(o.out, 0, 4, 3, ' ', 0)
		fmt.Fprintln(w, "NETWORK ID\tNAME\tDRIVER\tSUBNET\tINTERNAL\tCONTAINERS")
		for _, n := range nets {
			var subnets []string
			for _, s := range n.Subnets {
				subnets = append(subnets, s.Prefix.String())
			}
			fmt.Fprintf(w, "%s\t%s\tbridge\t%s\t%t\t%d\n", n.ID[:12], n.Name, strings.Join(subnets, ","), n.Internal, len(n.Endpoints))
		}
		return w.Flush()
	default:
		return fmt.Errorf("--format %q: expected table or json", o.format)
	}
	return nil
}
