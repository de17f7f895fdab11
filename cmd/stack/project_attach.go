package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"stack/planner"
	"stack/runtime/container"
)

// attach is up's foreground: it prints the containers' logs until they have
// all exited, or until Ctrl-C, which stops them gracefully (a second one
// kills them), or until one exits with --abort-on-container-exit.
func attach(ctx context.Context, s *projectSession, o *upOptions) error {
	// Only what the containers write from this up on, as an attached
	// terminal would see it.
	sel := logSelection{project: s.project.Name, tail: -1, since: o.started}
	var err error
	if sel.services, err = serviceSet(s.project.Services, o.services); err != nil {
		return err
	}
	p := newLogPrinter(o.out, o.noColor, o.noLogPrefix, o.timestamps)
	logCtx, stopLogs := context.WithCancel(context.Background())
	logsDone := make(chan struct{})
	go func() {
		followLogs(logCtx, s.host.containers, sel, p)
		close(logsDone)
	}()
	finish := func() {
		// Let the followers print what the containers wrote last.
		time.Sleep(150 * time.Millisecond)
		stopLogs()
		<-logsDone
	}
	sigs := o.signals
	w := &exitWatcher{store: s.host.containers, sel: sel, since: o.started, running: map[string]bool{}}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-sigs:
			fmt.Fprintln(os.Stderr, "Gracefully stopping... (press Ctrl+C again to force)")
			err := stopAttached(s, o.services, sigs)
			finish()
			return err
		case <-ctx.Done():
			finish()
			return ctx.Err()
		case <-tick.C:
		}
		exited, alive, err := w.poll()
		if err != nil {
			finish()
			return err
		}
		if o.abortOnExit && exited != nil {
			fmt.Fprintln(os.Stderr, "Aborting on container exit...")
			err := stopAttached(s, nil, sigs)
			finish()
			if err != nil {
				return err
			}
			return exitCodeOf(s, o.exitCodeFrom, exited)
		}
		if !alive {
			finish()
			return nil
		}
	}
}

// exitWatcher notices containers that stop.
type exitWatcher struct {
	store   *container.Store
	sel     logSelection
	since   time.Time       // exits before this are old news
	running map[string]bool // by container ID, as of the last poll
}

// poll returns a container that exited since the last poll (or, at first
// sight, since the watcher began), if any, and whether any selected
// container still runs.
func (w *exitWatcher) poll() (exited *container.Container, alive bool, err error) {
	cs, err := projectContainersOf(w.store, w.sel)
	if err != nil {
		return nil, false, err
	}
	for _, c := range cs {
		if c.Labels[planner.LabelOneOff] == "True" {
			continue
		}
		wasRunning, known := w.running[c.ID]
		w.running[c.ID] = c.Running()
		if c.Running() {
			alive = true
			continue
		}
		if (wasRunning || (!known && c.State.FinishedAt.After(w.since))) && exited == nil {
			exited = c
		}
	}
	return exited, alive, nil
}

// stopAttached stops the services' containers; a second signal kills them.
func stopAttached(s *projectSession, services []string, sigs chan os.Signal) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	observed, err := s.observe(ctx)
	if err != nil {
		return err
	}
	plan, err := planner.ComputeStop(s.project, observed, services, nil)
	if err != nil {
		return err
	}
	_, err = planner.Apply(ctx, plan, s.executor(os.Stderr), planner.ApplyOptions{Progress: progressPrinter(os.Stderr)})
	if ctx.Err() != nil {
		for _, c := range observed.Containers {
			s.host.containers.Kill(context.Background(), c.ID, "SIGKILL")
		}
		return nil
	}
	return err
}

// exitCodeOf is up's exit status with --exit-code-from (that service's
// container's code) or --abort-on-container-exit (the first exit's).
func exitCodeOf(s *projectSession, service string, first *container.Container) error {
	code := first.State.ExitCode
	if service != "" {
		cs, err := projectContainersOf(s.host.containers, logSelection{project: s.project.Name, services: map[string]bool{service: true}})
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return fmt.Errorf("--exit-code-from %s: the service has no container", service)
		}
		code = cs[0].State.ExitCode
	}
	if code != 0 {
		return &exitStatus{Code: code}
	}
	return nil
}
