package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"stack/runtime/container"
)

// containerStore opens the container store with the hooks that let it
// clean up after a dead monitor.
func containerStore(g *globalOptions) (*container.Store, error) {
	s, err := container.OpenStore(g.Root, g.RunRoot)
	if err != nil {
		return nil, err
	}
	s.Hooks = newHooks(g)
	return s, nil
}

// monitorArgv is how a container's monitor is started: the monitor
// binary (see monitorExecutable) with the same state directories.
func monitorArgv(g *globalOptions) ([]string, error) {
	exe, err := monitorExecutable(g.RunRoot, g.Root)
	if err != nil {
		return nil, err
	}
	return []string{exe, "--root", g.Root, "--run-root", g.RunRoot, "--log-level", g.LogLevel, monitorCommandName}, nil
}

var monitorFiles sync.Map // run root → path of the monitor binary for it

// monitorExecutable is the file containers' monitors run: the
// stack-monitor this binary carries, written once into the first of dirs
// (the run root, then the root) that can hold executables, under a name
// that identifies it; without one, or where no directory can take it
// (all mounted noexec, or read-only), this binary itself, which is a
// slower monitor.
func monitorExecutable(dirs ...string) (string, error) {
	if monitorBinary != "" {
		if path, ok := monitorFiles.Load(dirs[0]); ok {
			return path.(string), nil
		}
		name := "stack-monitor-" + container.EmbeddedID(monitorBinary)
		for _, dir := range dirs {
			if err := os.MkdirAll(dir, 0o700); err != nil || noExec(dir) {
				continue
			}
			path := filepath.Join(dir, name)
			if !monitorWritten(path) && writeMonitor(dir, path) != nil {
				continue
			}
			monitorFiles.Store(dirs[0], path)
			return path, nil
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the stack binary for the monitor: %w", err)
	}
	return exe, nil
}

// monitorWritten reports whether path holds the monitor binary already:
// it is written whole under a temporary name, so its size tells.
func monitorWritten(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Size() == int64(len(monitorBinary))
}

// noExec reports whether dir is on a file system mounted noexec.
func noExec(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Flags&unix.ST_NOEXEC != 0
}

// writeMonitor writes the monitor binary to path, whole or not at all,
// and removes those of other stack versions: their running monitors keep
// theirs, unlinked.
func writeMonitor(dir, path string) error {
	// No process may be forked while the file is open for writing: a
	// child would hold it open until its exec, and executing the binary
	// meanwhile would fail with ETXTBSY.
	syscall.ForkLock.Lock()
	tmp, err := os.CreateTemp(dir, ".stack-monitor-*")
	if err == nil {
		err = container.WriteEmbedded(tmp, monitorBinary)
		err = errors.Join(err, tmp.Chmod(0o500), tmp.Close())
	}
	syscall.ForkLock.Unlock()
	if err != nil {
		if tmp != nil {
			os.Remove(tmp.Name())
		}
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	others, _ := filepath.Glob(filepath.Join(dir, "stack-monitor-*"))
	for _, other := range others {
		if other != path {
			os.Remove(other)
		}
	}
	return nil
}

// humanDuration is Docker's units.HumanDuration: "5 seconds", "About a minute".
func humanDuration(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	switch m := int(d.Minutes()); {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	switch h := int(d.Round(time.Hour).Hours()); {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	case h < 24*30*2:
		return fmt.Sprintf("%d weeks", h/24/7)
	case h < 24*365*2:
		return fmt.Sprintf("%d months", h/24/30)
	default:
		return fmt.Sprintf("%d years", h/24/365)
	}
}

// containerStatus is the STATUS column of docker ps.
func containerStatus(c *container.Container, now time.Time) string {
	st := c.State
	switch st.Status {
	case container.StatusRunning:
		s := "Up " + humanDuration(now.Sub(st.StartedAt))
		if st.Health != nil {
			s += " (" + healthLabel(st.Health.Status) + ")"
		}
		return s
	case container.StatusRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, humanDuration(now.Sub(st.FinishedAt)))
	case container.StatusExited:
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, humanDuration(now.Sub(st.FinishedAt)))
	case container.StatusDead:
		return "Dead"
	}
	return "Created"
}

func healthLabel(s string) string {
	if s == "starting" {
		return "health: starting"
	}
	return s
}

// commandColumn is the quoted, truncated COMMAND column.
func commandColumn(args []string, truncate bool) string {
	cmd := strings.Join(args, " ")
	if truncate && len(cmd) > 20 {
		cmd = cmd[:19] + "…"
	}
	return `"` + cmd + `"`
}

// shadowGlobalFlags hides global flags whose shorthands a docker-style
// command uses for its own flags (-f for --follow or --force, -p for
// --publish): a local flag of the same name keeps the global one out.
// Given after the command by its long name, a shadowed global flag is an
// error that says where it goes.
func shadowGlobalFlags(f *pflag.FlagSet, names ...string) {
	for _, name := range names {
		f.Var(globalOnly(name), name, "a global flag: give it before the command")
		f.MarkHidden(name)
	}
}

// globalOnly is the value of a shadowed global flag.
type globalOnly string

func (g globalOnly) Set(string) error {
	return fmt.Errorf("--%s is a global flag here: give it before the command (stack --%s VALUE COMMAND ...)", string(g), string(g))
}
func (g globalOnly) String() string { return "" }
func (g globalOnly) Type() string   { return "string" }

// eachRef applies change to each named container in turn and prints the
// name of each one changed, as docker does; the errors of the others are
// returned together.
func eachRef(refs []string, out io.Writer, change func(ref string) error) error {
	var errs []error
	for _, ref := range refs {
		if err := change(ref); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(out, ref)
	}
	return errors.Join(errs...)
}
