package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"stack/network"
)

func init() {
	register("volume", "ls", newVolumeLsCommand)
}

type volumeLsOptions struct {
	global  *globalOptions
	format  string
	quiet   bool
	filters []string
	out     io.Writer
}

func newVolumeLsCommand(g *globalOptions) *cobra.Command {
	o := &volumeLsOptions{global: g}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			return runVolumeLs(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only names")
	shadowGlobalFlags(f, "file")
	f.StringArrayVarP(&o.filters, "filter", "f", nil, "filter by label=<key>[=<value>] (repeatable)")
	return cmd
}

func runVolumeLs(_ context.Context, o *volumeLsOptions) error {
	if err := checkListFormat(o.format); err != nil {
		return err
	}
	match, err := parseLabelFilters(o.filters)
	if err != nil {
		return err
	}
	all, err := openVolumes(o.global).list()
	if err != nil {
		return err
	}
	vols := []*volume{}
	for _, v := range all {
		if network.HasLabels(v.Labels, match) {
			vols = append(vols, v)
		}
	}
	switch {
	case o.quiet:
		for _, v := range vols {
			fmt.Fprintln(o.out, v.Name)
		}
	case o.format == "json":
		enc := json.NewEncoder(o.out)
		for _, v := range vols {
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
	default:
		w := tabwriter.NewWriter(o.out, 0, 4, 4, ' ', 0)
		fmt.Fprintln(w, "DRIVER\tVOLUME NAME")
		for _, v := range vols {
			fmt.Fprintf(w, "%s\t%s\n", v.Driver, v.Name)
		}
		return w.Flush()
	}
	return nil
}
