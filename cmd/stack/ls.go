package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "ls", newLsCommand)
}

type lsOptions struct {
	global  *globalOptions
	all     bool
	quiet   bool
	format  string
	filters []string
	out     io.Writer
}

func newLsCommand(g *globalOptions) *cobra.Command {
	o := &lsOptions{global: g}
	cmd := &cobra.Command{
		Use:   "ls [OPTIONS]",
		Short: "List the projects on this host",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			return runLs(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "show projects whose containers are all stopped too")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only project names")
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	f.StringArrayVar(&o.filters, "filter", nil, "filter: name=NAME (repeatable)")
	return cmd
}

// projectEntry is one line of ls, with Compose's JSON fields.
type projectEntry struct {
	Name        string
	Status      string
	ConfigFiles string
}

// listProjects groups the host's containers by project; without all, only
// projects with a running or paused container.
func listProjects(g *globalOptions, names map[string]bool, all bool) ([]projectEntry, error) {
	store, err := containerStore(g)
	if err != nil {
		return nil, err
	}
	containers, err := store.List()
	if err != nil {
		return nil, err
	}
	counts := map[string]map[string]int{}
	files := map[string]string{}
	for _, c := range containers {
		p := c.Labels[planner.LabelProject]
		if p == "" || (len(names) > 0 && !names[p]) {
			continue
		}
		if counts[p] == nil {
			counts[p] = map[string]int{}
		}
		counts[p][c.StateName()]++
		files[p] = c.Labels[planner.LabelConfigFiles]
	}
	var entries []projectEntry
	for _, p := range sortedNames(counts) {
		var parts []string
		for _, st := range sortedNames(counts[p]) {
			parts = append(parts, fmt.Sprintf("%s(%d)", st, counts[p][st]))
		}
		if all || counts[p]["running"] > 0 || counts[p]["paused"] > 0 {
			entries = append(entries, projectEntry{Name: p, Status: strings.Join(parts, ", "), ConfigFiles: files[p]})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries, nil
}

func runLs(_ context.Context, o *lsOptions) error {
	if err := checkListFormat(o.format); err != nil {
		return err
	}
	names := map[string]bool{}
	for _, f := range o.filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != "name" {
			return fmt.Errorf("--filter %q: expected name=NAME", f)
		}
		names[v] = true
	}
	entries, err := listProjects(o.global, names, o.all)
	if err != nil {
		return err
	}
	switch {
	case o.quiet:
		for _, e := range entries {
			fmt.Fprintln(o.out, e.Name)
		}
	case o.format == "json":
		if entries == nil {
			entries = []projectEntry{}
		}
		return json.NewEncoder(o.out).Encode(entries)
	default:
		w := tabwriter.NewWriter(o.out, 0, 4, 3, ' ', 0)
		fmt.Fprintln(w, "NAME\tSTATUS\tCONFIG FILES")
		for _, e := range entries {
			fmt.Fprintf(w, "%s\t%s\t%s\n", e.Name, e.Status, e.ConfigFiles)
		}
		return w.Flush()
	}
	return nil
}
