package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"stack/spec"
)

// loadProject loads the project the global flags point at. Its warnings
// go to stderr once.
func loadProject(ctx context.Context, g *globalOptions) (*spec.Project, error) {
	project, err := spec.Load(ctx, spec.Options{
		Files:       g.Files,
		ProjectName: g.Project,
		ProjectDir:  g.ProjectDir,
		EnvFiles:    g.EnvFiles,
		Profiles:    g.Profiles,
		Stdin:       os.Stdin,
	})
	if err != nil {
		return nil, err
	}
	for _, w := range project.Warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	return project, nil
}

// lockProject takes the project's lock, so that two commands that change
// one project run one after the other; commands on other projects do not
// wait. The lock is an flock, so it dies with the process that holds it.
func lockProject(ctx context.Context, g *globalOptions, project string) (unlock func(), err error) {
	dir := filepath.Join(g.RunRoot, "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "project-"+project+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	warned := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if err != unix.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock project %q: %w", project, err)
		}
		if !warned {
			fmt.Fprintf(os.Stderr, "waiting for another stack command on project %q to finish\n", project)
			warned = true
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		}
	}
}
