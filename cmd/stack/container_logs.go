package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("container", "logs", newContainerLogsCommand)
}

type containerLogsOptions struct {
	global     *globalOptions
	ref        string
	follow     bool
	tail       string
	timestamps bool
	since      string
	out, err   io.Writer
}

func newContainerLogsCommand(g *globalOptions) *cobra.Command {
	o := &containerLogsOptions{global: g}
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Print a container's logs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref, o.out, o.err = args[0], cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runContainerLogs(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	shadowGlobalFlags(f, "file")
	f.BoolVarP(&o.follow, "follow", "f", false, "follow the output")
	f.StringVarP(&o.tail, "tail", "n", "all", "number of lines from the end, or all")
	f.BoolVarP(&o.timestamps, "timestamps", "t", false, "show timestamps")
	f.StringVar(&o.since, "since", "", "only logs since a timestamp (RFC 3339) or a duration ago (10m)")
	return cmd
}

func runContainerLogs(ctx context.Context, o *containerLogsOptions) error {
	opts := container.LogOptions{Tail: -1, Follow: o.follow}
	if o.tail != "all" && o.tail != "" {
		n, err := strconv.Atoi(o.tail)
		if err != nil {
			return fmt.Errorf("--tail %q: expected a number or all", o.tail)
		}
		if n >= 0 {
			opts.Tail = n
		}
	}
	if o.since != "" {
		t, err := parseSince(o.since, time.Now())
		if err != nil {
			return err
		}
		opts.Since = t
	}
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	c, err := store.Get(o.ref)
	if err != nil {
		return err
	}
	return store.ReadLogs(ctx, c.ID, opts, func(e container.LogEntry) error {
		w := o.out
		if e.Stream == "stderr" {
			w = o.err
		}
		if o.timestamps {
			if _, err := io.WriteString(w, e.Time.Format(time.RFC3339Nano)+" "); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, e.Log)
		return err
	})
}

// parseSince reads docker's --since: a duration back from now, an RFC 3339
// time or Unix seconds.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(secs*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: expected a duration (10m), an RFC 3339 time or Unix seconds", s)
}
