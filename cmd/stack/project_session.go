package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"stack/planner"
	"stack/spec"
)

// projectSession is one command's hold on a project: the loaded project,
// the host's stores and, for commands that change things, the project lock.
type projectSession struct {
	project *spec.Project
	host    *host
	unlock  func()
}

// openProject loads the project and opens the host; with lock it also takes
// the project's lock, which close releases.
func openProject(ctx context.Context, g *globalOptions, lock bool) (*projectSession, error) {
	project, err := loadProject(ctx, g)
	if err != nil {
		return nil, err
	}
	h, err := openHost(g)
	if err != nil {
		return nil, err
	}
	s := &projectSession{project: project, host: h, unlock: func() {}}
	if lock {
		if s.unlock, err = lockProject(ctx, g, project.Name); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *projectSession) close() { s.unlock() }

func (s *projectSession) observe(ctx context.Context) (*planner.Observed, error) {
	return s.host.observe(ctx, s.project)
}

func (s *projectSession) observer() planner.Observer {
	return planner.ObserverFunc(s.observe)
}

func (s *projectSession) executor(progress io.Writer) *executor {
	return &executor{host: s.host, project: s.project, progress: progress}
}

// apply runs a plan with progress on stderr, and prints its warnings.
func (s *projectSession) apply(ctx context.Context, plan *planner.Plan) error {
	printWarnings(plan)
	ex := s.executor(os.Stderr)
	_, err := planner.Apply(ctx, plan, ex, planner.ApplyOptions{Progress: progressPrinter(os.Stderr)})
	ex.cancelEarly()
	return err
}

func printWarnings(plan *planner.Plan) {
	for _, w := range plan.Warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
}

// progressPrinter prints each action as it starts and ends, Compose-style:
// "Container demo-web-1  Started".
func progressPrinter(w io.Writer) func(planner.Event) {
	var mu sync.Mutex
	return func(e planner.Event) {
		noun, doing, done := progressWords(e.Node.Action.Kind())
		var line string
		switch e.Status {
		case planner.StatusRunning:
			line = doing
		case planner.StatusDone:
			line = done
		case planner.StatusFailed:
			line = "Error: " + e.Err.Error()
		case planner.StatusSkipped:
			line = e.Err.Error()
		default:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, " %s %s  %s\n", noun, e.Node.Action.Subject(), line)
	}
}

func progressWords(k planner.Kind) (noun, doing, done string) {
	switch k {
	case planner.KindCreateNetwork:
		return "Network", "Creating", "Created"
	case planner.KindRemoveNetwork:
		return "Network", "Removing", "Removed"
	case planner.KindCreateVolume:
		return "Volume", "Creating", "Created"
	case planner.KindRemoveVolume:
		return "Volume", "Removing", "Removed"
	case planner.KindPullImage:
		return "Image", "Pulling", "Pulled"
	case planner.KindBuildImage:
		return "Image", "Building", "Built"
	case planner.KindRemoveImage:
		return "Image", "Removing", "Removed"
	case planner.KindCreateContainer:
		return "Container", "Creating", "Created"
	case planner.KindStartContainer:
		return "Container", "Starting", "Started"
	case planner.KindStopContainer:
		return "Container", "Stopping", "Stopped"
	case planner.KindRemoveContainer:
		return "Container", "Removing", "Removed"
	case planner.KindRenameContainer:
		return "Container", "Renaming", "Renamed"
	case planner.KindAwaitContainer:
		return "Container", "Waiting", "Ready"
	}
	return "Step", "Running", "Done"
}
