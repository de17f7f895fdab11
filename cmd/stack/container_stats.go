package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"golang.org/x/sys/unix"

	"stack/runtime/cgroups"
	"stack/runtime/container"
)

func init() {
	register("container", "stats", newContainerStatsCommand)
}

type containerStatsOptions struct {
	global   *globalOptions
	refs     []string
	noStream bool
	format   string
	out      io.Writer
}

func newContainerStatsCommand(g *globalOptions) *cobra.Command {
	o := &containerStatsOptions{global: g}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Show containers' resource usage",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerStats(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.noStream, "no-stream", false, "print one sample and exit")
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

// containerStatsRow is one line of stats, with docker's JSON keys.
type containerStatsRow struct {
	ID       string `json:"ID"`
	Name     string `json:"Name"`
	CPUPerc  string `json:"CPUPerc"`
	MemUsage string `json:"MemUsage"`
	MemPerc  string `json:"MemPerc"`
	PIDs     string `json:"PIDs"`
}

func runContainerStats(ctx context.Context, o *containerStatsOptions) error {
	if err := checkListFormat(o.format); err != nil {
		return err
	}
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	for {
		rows, err := statsSample(ctx, store, o.refs)
		if err != nil {
			return err
		}
		if !o.noStream {
			fmt.Fprint(o.out, "\033[2J\033[H")
		}
		if err := printStats(o, rows); err != nil {
			return err
		}
		if o.noStream {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// statsSample reads every counter twice, 200 ms apart, for the CPU share.
func statsSample(ctx context.Context, store *container.Store, refs []string) ([]containerStatsRow, error) {
	var cs []*container.Container
	if len(refs) == 0 {
		all, err := store.List()
		if err != nil {
			return nil, err
		}
		for _, c := range all {
			if c.Running() {
				cs = append(cs, c)
			}
		}
	}
	for _, ref := range refs {
		c, err := store.Get(ref)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	before := make([]cgroups.Stats, len(cs))
	for i, c := range cs {
		before[i] = store.Stats(c)
	}
	start := time.Now()
	select {
	case <-ctx.Done():
	case <-time.After(200 * time.Millisecond):
	}
	elapsed := time.Since(start)
	var rows []containerStatsRow
	for i, c := range cs {
		after := store.Stats(c)
		cpu := float64(after.CPUNanos-before[i].CPUNanos) / float64(elapsed.Nanoseconds()) * 100
		if !c.Running() {
			after, cpu = cgroups.Stats{}, 0
		}
		limit := after.MemoryLimit
		if limit == 0 {
			limit = hostMemory()
		}
		memPerc := 0.0
		if limit > 0 {
			memPerc = float64(after.MemoryBytes) / float64(limit) * 100
		}
		rows = append(rows, containerStatsRow{
			ID: c.ShortID(), Name: c.Name, CPUPerc: fmt.Sprintf("%.2f%%", cpu),
			MemUsage: bytesIEC(after.MemoryBytes) + " / " + bytesIEC(limit),
			MemPerc:  fmt.Sprintf("%.2f%%", memPerc), PIDs: fmt.Sprint(after.Pids),
		})
	}
	return rows, nil
}

func printStats(o *containerStatsOptions, rows []containerStatsRow) error {
	if o.format == "json" {
		enc := json.NewEncoder(o.out)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	w := tabwriter.NewWriter(o.out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tPIDS")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.CPUPerc, r.MemUsage, r.MemPerc, r.PIDs)
	}
	return w.Flush()
}

func hostMemory() int64 {
	var info unix.Sysinfo_t
	if unix.Sysinfo(&info) != nil {
		return 0
	}
	return int64(info.Totalram) * int64(info.Unit)
}

// bytesIEC prints sizes as docker stats does: 1.5MiB.
func bytesIEC(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.4g%s", v, units[i])
}
