package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/spf13/cobra"

	"stack/planner"
	"stack/runtime/container"
)

func init() {
	register("", "kill", newKillCommand)
}

type killOptions struct {
	global   *globalOptions
	services []string
	signal   string
}

func newKillCommand(g *globalOptions) *cobra.Command {
	o := &killOptions{global: g}
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] [SERVICE...]",
		Short: "Send a signal to services' running containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services = args
			return runKill(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.signal, "signal", "s", "SIGKILL", "signal to send")
	return cmd
}

func runKill(ctx context.Context, o *killOptions) error {
	if _, err := container.ParseSignal(o.signal); err != nil {
		return fmt.Errorf("--signal: %w", err)
	}
	s, err := openProject(ctx, o.global, true)
	if err != nil {
		return err
	}
	defer s.close()
	cs, err := serviceContainers(s, o.services)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, c := range cs {
		if !c.Running() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.host.containers.Kill(ctx, c.ID, o.signal)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("container %s: %w", c.Name, err))
				return
			}
			fmt.Fprintf(os.Stderr, " Container %s  Killed\n", c.Name)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// serviceContainers lists the containers of the named services (all when
// none), one-off ones excluded.
func serviceContainers(s *projectSession, services []string) ([]*container.Container, error) {
	sel := logSelection{project: s.project.Name}
	var err error
	if sel.services, err = serviceSet(s.project.Services, services); err != nil {
		return nil, err
	}
	all, err := projectContainersOf(s.host.containers, sel)
	if err != nil {
		return nil, err
	}
	var out []*container.Container
	for _, c := range all {
		if c.Labels[planner.LabelOneOff] != "True" {
			out = append(out, c)
		}
	}
	return out, nil
}
