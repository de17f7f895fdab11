package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("", "pause", newPauseCommand)
}

type pauseOptions struct {
	global   *globalOptions
	services []string
}

func newPauseCommand(g *globalOptions) *cobra.Command {
	o := &pauseOptions{global: g}
	return &cobra.Command{
		Use:   "pause [SERVICE...]",
		Short: "Pause services' running containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services = args
			return runPause(cmd.Context(), o)
		},
	}
}

func runPause(ctx context.Context, o *pauseOptions) error {
	return pauseServices(ctx, o.global, o.services, true)
}

// pauseServices pauses (or unpauses) the running containers of the named
// services. Containers already in the wanted state are left alone, so
// that the command can be repeated.
func pauseServices(ctx context.Context, g *globalOptions, services []string, pause bool) error {
	s, err := openProject(ctx, g, true)
	if err != nil {
		return err
	}
	defer s.close()
	cs, err := serviceContainers(s, services)
	if err != nil {
		return err
	}
	change, done := s.host.containers.Unpause, "Unpaused"
	if pause {
		change, done = s.host.containers.Pause, "Paused"
	}
	var errs []error
	for _, c := range cs {
		if !c.Running() || c.State.Paused == pause {
			continue
		}
		err := change(c.ID)
		if errors.Is(err, container.ErrNotRunning) || errors.Is(err, container.ErrPaused) || errors.Is(err, container.ErrNotPaused) {
			continue // it stopped, or another command got there first
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(os.Stderr, " Container %s  %s\n", c.Name, done)
	}
	return errors.Join(errs...)
}
