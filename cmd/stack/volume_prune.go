package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"stack/network"
)

func init() {
	register("volume", "prune", newVolumePruneCommand)
}

type volumePruneOptions struct {
	global  *globalOptions
	all     bool
	force   bool
	filters []string
	in      io.Reader
	out     io.Writer
}

func newVolumePruneCommand(g *globalOptions) *cobra.Command {
	o := &volumePruneOptions{global: g}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused anonymous volumes (all unused volumes with --all)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.in, o.out = cmd.InOrStdin(), cmd.OutOrStdout()
			return runVolumePrune(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "remove named volumes too")
	shadowGlobalFlags(f, "file")
	f.BoolVarP(&o.force, "force", "f", false, "do not ask to confirm")
	f.StringArrayVar(&o.filters, "filter", nil, "only volumes with label=<key>[=<value>] (repeatable)")
	return cmd
}

func runVolumePrune(_ context.Context, o *volumePruneOptions) error {
	match, err := parseLabelFilters(o.filters)
	if err != nil {
		return err
	}
	if !o.force && isTerminal(os.Stdin) {
		fmt.Fprint(os.Stderr, "WARNING! This will remove unused volumes.\nAre you sure you want to continue? [y/N] ")
		answer, _ := bufio.NewReader(o.in).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return nil
		}
	}
	users, err := volumeUsers(o.global)
	if err != nil {
		return err
	}
	store := openVolumes(o.global)
	vols, err := store.list()
	if err != nil {
		return err
	}
	var reclaimed int64
	fmt.Fprintln(o.out, "Deleted Volumes:")
	for _, v := range vols {
		_, anonymous := v.Labels[labelAnonymous]
		if len(users[v.Mountpoint]) > 0 || (!o.all && !anonymous) || !network.HasLabels(v.Labels, match) {
			continue
		}
		size := dirSize(v.Mountpoint)
		if err := store.remove(v.Name); err != nil {
			return err
		}
		reclaimed += size
		fmt.Fprintln(o.out, v.Name)
	}
	fmt.Fprintf(o.out, "\nTotal reclaimed space: %s\n", humanSize(reclaimed))
	return nil
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
