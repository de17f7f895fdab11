package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "rm", newRmCommand)
}

type rmOptions struct {
	global   *globalOptions
	services []string
	force    bool
	stop     bool
	volumes  bool
	in       io.Reader
}

func newRmCommand(g *globalOptions) *cobra.Command {
	o := &rmOptions{global: g}
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] [SERVICE...]",
		Short: "Remove stopped service containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.in = args, cmd.InOrStdin()
			return runRm(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	shadowGlobalFlags(f, "file") // stack -f FILE rm -f
	f.BoolVarP(&o.force, "force", "f", false, "do not ask to confirm")
	f.BoolVarP(&o.stop, "stop", "s", false, "stop the containers first if needed")
	f.BoolVarP(&o.volumes, "volumes", "v", false, "remove the containers' anonymous volumes")
	return cmd
}

func runRm(ctx context.Context, o *rmOptions) error {
	s, err := openProject(ctx, o.global, true)
	if err != nil {
		return err
	}
	defer s.close()
	if o.stop {
		if err := stopServices(ctx, s, o.services, -1); err != nil {
			return err
		}
	}
	cs, err := serviceContainers(s, o.services)
	if err != nil {
		return err
	}
	plan := &planner.Plan{}
	var names []string
	for _, c := range cs {
		if c.Running() {
			continue
		}
		names = append(names, c.Name)
		plan.Nodes = append(plan.Nodes, &planner.Node{
			ID:     len(plan.Nodes) + 1,
			Action: planner.RemoveContainer{Container: observedContainer(c), Volumes: o.volumes},
			Cause:  "rm",
		})
	}
	if len(names) == 0 {
		fmt.Fprintln(os.Stderr, "No stopped containers")
		return nil
	}
	if !o.force && isTerminal(os.Stdin) {
		fmt.Fprintf(os.Stderr, "Going to remove %s\nAre you sure? [yN] ", strings.Join(names, ", "))
		answer, _ := bufio.NewReader(o.in).ReadString('\n')
		if a := strings.TrimSpace(strings.ToLower(answer)); a != "y" && a != "yes" {
			return nil
		}
	}
	return s.apply(ctx, plan)
}
