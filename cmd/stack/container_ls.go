package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("container", "ls", newContainerLsCommand)
}

type containerLsOptions struct {
	global  *globalOptions
	all     bool
	quiet   bool
	noTrunc bool
	format  string
	out     io.Writer
}

func newContainerLsCommand(g *globalOptions) *cobra.Command {
	o := &containerLsOptions{global: g}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"ps", "list"},
		Short:   "List containers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			return runContainerLs(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "show stopped containers too")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only IDs")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "do not truncate output")
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

// containerSummary is one row of ls --format json, with docker's keys.
type containerSummary struct {
	ID        string `json:"ID"`
	Image     string `json:"Image"`
	Command   string `json:"Command"`
	CreatedAt string `json:"CreatedAt"`
	State     string `json:"State"`
	Status    string `json:"Status"`
	Ports     string `json:"Ports"`
	Names     string `json:"Names"`
	Health    string `json:"Health,omitempty"`
	ExitCode  int    `json:"ExitCode"`
}

func runContainerLs(_ context.Context, o *containerLsOptions) error {
	if err := checkListFormat(o.format); err != nil {
		return err
	}
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	all, err := store.ListSummaries()
	if err != nil {
		return err
	}
	now := time.Now()
	var rows []containerSummary
	for i := len(all) - 1; i >= 0; i-- { // newest first, as docker
		c := all[i]
		if !o.all && !c.Running() {
			continue
		}
		id := c.ID
		if !o.noTrunc {
			id = c.ShortID()
		}
		row := containerSummary{
			ID: id, Image: c.Image, Command: commandColumn(c.Process.Args, !o.noTrunc),
			CreatedAt: humanDuration(now.Sub(c.Created)) + " ago", State: c.StateName(),
			Status: listStatus(c, now), Ports: portsColumn(c), Names: c.Name,
			ExitCode: c.State.ExitCode,
		}
		if c.State.Health != nil {
			row.Health = c.State.Health.Status
		}
		rows = append(rows, row)
	}
	switch {
	case o.quiet:
		for _, r := range rows {
			fmt.Fprintln(o.out, r.ID)
		}
	case o.format == "json":
		enc := json.NewEncoder(o.out)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	default:
		w := tabwriter.NewWriter(o.out, 0, 4, 3, ' ', 0)
		fmt.Fprintln(w, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Image, r.Command, r.CreatedAt, r.Status, r.Ports, r.Names)
		}
		return w.Flush()
	}
	return nil
}

// listStatus is the STATUS column: Docker shows a paused container as
// "Up 5 seconds (Paused)", in place of its health.
func listStatus(c *container.Container, now time.Time) string {
	if c.State.Paused && c.Running() {
		return "Up " + humanDuration(now.Sub(c.State.StartedAt)) + " (Paused)"
	}
	return containerStatus(c, now)
}

// portsColumn renders a container's ports the docker way: published ones
// as 0.0.0.0:8080->80/tcp ([::1]:8080->80/tcp), then those only exposed as
// 443/tcp.
func portsColumn(c *container.Container) string {
	var out []string
	for _, p := range c.PublishedPorts() {
		out = append(out, fmt.Sprintf("%s->%d/%s", hostAddress(p), p.ContainerPort, p.Protocol))
	}
	for _, p := range c.ExposedPorts() {
		out = append(out, p.String())
	}
	return strings.Join(out, ", ")
}

// hostAddress is where a published port is bound, as Docker prints it:
// 0.0.0.0:8080 for every address, IPv6 in brackets.
func hostAddress(p container.PortBinding) string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return net.JoinHostPort(ip, strconv.Itoa(int(p.HostPort)))
}
