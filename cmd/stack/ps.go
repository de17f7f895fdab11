package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"stack/planner"
	"stack/runtime/container"
)

func init() {
	register("", "ps", newPsCommand)
}

type psOptions struct {
	global   *globalOptions
	services []string
	all      bool
	quiet    bool
	names    bool // --services
	status   []string
	filters  []string
	format   string
	out      io.Writer
}

func newPsCommand(g *globalOptions) *cobra.Command {
	o := &psOptions{global: g}
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [SERVICE...]",
		Short: "List the project's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out = args, cmd.OutOrStdout()
			return runPs(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "show stopped containers too")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only IDs")
	f.BoolVar(&o.names, "services", false, "only service names")
	f.StringArrayVar(&o.status, "status", nil, "only containers in this state: created, restarting, running, paused, exited, dead (repeatable)")
	f.StringArrayVar(&o.filters, "filter", nil, "filter: status=STATE (repeatable)")
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

func runPs(ctx context.Context, o *psOptions) error {
	if err := checkListFormat(o.format); err != nil {
		return err
	}
	states, err := psStates(o.status, o.filters)
	if err != nil {
		return err
	}
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	sel := logSelection{project: s.project.Name}
	if sel.services, err = serviceSet(s.project.Services, o.services); err != nil {
		return err
	}
	all, err := selectContainers(s.host.containers.ListSummaries, sel)
	if err != nil {
		return err
	}
	var cs []*container.Container
	for _, c := range all {
		state := c.StateName()
		if (len(states) > 0 && states[state]) || (len(states) == 0 && (o.all || c.Running())) {
			cs = append(cs, c)
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	switch {
	case o.quiet:
		for _, c := range cs {
			fmt.Fprintln(o.out, c.ID)
		}
	case o.names:
		seen := map[string]bool{}
		for _, c := range cs {
			if svc := c.Labels[planner.LabelService]; !seen[svc] {
				seen[svc] = true
				fmt.Fprintln(o.out, svc)
			}
		}
	case o.format == "json":
		enc := json.NewEncoder(o.out)
		for _, c := range cs {
			if err := enc.Encode(psJSON(c)); err != nil {
				return err
			}
		}
	default:
		return psTable(o.out, cs)
	}
	return nil
}

func psStates(status, filters []string) (map[string]bool, error) {
	valid := map[string]bool{"created": true, "restarting": true, "running": true, "removing": true, "paused": true, "exited": true, "dead": true}
	out := map[string]bool{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != "status" {
			return nil, fmt.Errorf("--filter %q: expected status=STATE", f)
		}
		status = append(status, v)
	}
	for _, s := range status {
		if !valid[s] {
			return nil, fmt.Errorf("--status %q: expected created, restarting, running, removing, paused, exited or dead", s)
		}
		out[s] = true
	}
	return out, nil
}

func psTable(out io.Writer, cs []*container.Container) error {
	now := time.Now()
	w := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS")
	for _, c := range cs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s ago\t%s\t%s\n", c.Name, c.Image, commandColumn(c.Process.Args, true),
			c.Labels[planner.LabelService], humanDuration(now.Sub(c.Created)), listStatus(c, now), portsColumn(c))
	}
	return w.Flush()
}

// psRow is one line of `ps --format json`, with Compose's field names.
type psRow struct {
	ID         string
	Name       string
	Image      string
	Command    string
	Project    string
	Service    string
	Created    int64
	State      string
	Status     string
	Health     string
	ExitCode   int
	Publishers []psPublisher
	Labels     string
}

type psPublisher struct {
	URL           string
	TargetPort    int
	PublishedPort int
	Protocol      string
}

func psJSON(c *container.Container) psRow {
	e := psRow{
		ID: c.ID, Name: c.Name, Image: c.Image, Command: strings.Join(c.Process.Args, " "),
		Project: c.Labels[planner.LabelProject], Service: c.Labels[planner.LabelService],
		Created: c.Created.Unix(), State: c.StateName(), Status: listStatus(c, time.Now()),
		ExitCode: c.State.ExitCode, Publishers: []psPublisher{},
	}
	if c.State.Health != nil {
		e.Health = c.State.Health.Status
	}
	var labels []string
	for _, k := range sortedNames(c.Labels) {
		labels = append(labels, k+"="+c.Labels[k])
	}
	e.Labels = strings.Join(labels, ",")
	for _, p := range c.PublishedPorts() {
		url := p.HostIP
		if url == "" {
			url = "0.0.0.0"
		}
		e.Publishers = append(e.Publishers, psPublisher{URL: url, TargetPort: int(p.ContainerPort), PublishedPort: int(p.HostPort), Protocol: p.Protocol})
	}
	// Exposed and not published: no URL, published port 0, as Compose
	// lists them.
	for _, x := range c.ExposedPorts() {
		e.Publishers = append(e.Publishers, psPublisher{TargetPort: int(x.Number), Protocol: x.Protocol})
	}
	return e
}
