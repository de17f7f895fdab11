package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "logs", newLogsCommand)
}

type logsOptions struct {
	global     *globalOptions
	services   []string
	follow     bool
	tail       string
	timestamps bool
	since      string
	until      string
	noColor    bool
	noPrefix   bool
	out        io.Writer
}

func newLogsCommand(g *globalOptions) *cobra.Command {
	o := &logsOptions{global: g}
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] [SERVICE...]",
		Short: "Show the output of the project's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out = args, cmd.OutOrStdout()
			return runLogs(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	shadowGlobalFlags(f, "file") // stack -f FILE logs -f
	f.BoolVarP(&o.follow, "follow", "f", false, "follow log output, also of containers recreated or restarted meanwhile")
	f.StringVarP(&o.tail, "tail", "n", "all", `number of lines from the end of each container's log, or "all"`)
	f.BoolVarP(&o.timestamps, "timestamps", "t", false, "show timestamps")
	f.StringVar(&o.since, "since", "", "show logs since a timestamp (2013-01-02T13:23:37Z) or a relative time (42m)")
	f.StringVar(&o.until, "until", "", "show logs before a timestamp or a relative time")
	f.BoolVar(&o.noColor, "no-color", false, "produce monochrome output")
	f.BoolVar(&o.noPrefix, "no-log-prefix", false, "do not print the container name before each line")
	return cmd
}

func runLogs(ctx context.Context, o *logsOptions) error {
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	sel := logSelection{project: s.project.Name, tail: -1}
	if sel.services, err = serviceSet(s.project.Services, o.services); err != nil {
		return err
	}
	if o.tail != "all" && o.tail != "" {
		if sel.tail, err = strconv.Atoi(o.tail); err != nil || sel.tail < 0 {
			return fmt.Errorf(`--tail %q: expected a number of lines or "all"`, o.tail)
		}
	}
	now := time.Now()
	if sel.since, err = parseLogTime("--since", o.since, now); err != nil {
		return err
	}
	if sel.until, err = parseLogTime("--until", o.until, now); err != nil {
		return err
	}
	p := newLogPrinter(o.out, o.noColor, o.noPrefix, o.timestamps)
	if !o.follow {
		return printLogs(ctx, s.host.containers, sel, p)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return followLogs(ctx, s.host.containers, sel, p)
}

// serviceSet checks service names against the project; none means all.
func serviceSet[V any](services map[string]V, names []string) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := map[string]bool{}
	for _, name := range names {
		if _, ok := services[name]; !ok {
			return nil, fmt.Errorf("service %q: %w", name, planner.ErrNoSuchService)
		}
		out[name] = true
	}
	return out, nil
}

// parseLogTime reads an RFC 3339 time, a Unix timestamp or a duration
// before now, as docker logs does.
func parseLogTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
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
	return time.Time{}, fmt.Errorf("%s %q: expected a timestamp like 2013-01-02T13:23:37Z or a duration like 42m", flag, s)
}
