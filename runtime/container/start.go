package container

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// StartOptions say how to run a container's monitor and whether the caller
// stays attached to it.
type StartOptions struct {
	// MonitorArgv runs RunMonitor; the container ID is appended. cmd/stack
	// passes its own binary with the hidden monitor command.
	MonitorArgv []string
	// Attached streams: with Stdout or Stderr set the caller receives the
	// main process's output until its first exit; Stdin feeds it when the
	// container keeps stdin open.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Session is a started container; Wait returns its first exit code when
// the start was attached.
type Session struct {
	events   *bufio.Reader
	statusR  *os.File
	copies   sync.WaitGroup
	attached bool
}

// Start starts a created or stopped container under a new monitor, which
// lives on after the caller (its own session). It returns once the main
// process runs, or with the reason it could not start.
func (s *Store) Start(ctx context.Context, ref string, opts StartOptions) (*Session, error) {
	c, err := s.Get(ref)
	if err != nil {
		return nil, err
	}
	unlock, err := s.lock(c.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if c, err = s.load(c.ID); err != nil {
		return nil, err
	}
	if c.Running() || c.State.monitorAlive() {
		return nil, fmt.Errorf("%w: %s", ErrRunning, c.Name)
	}
	sess := &Session{attached: opts.Stdout != nil || opts.Stderr != nil}
	opts.Stdout, opts.Stderr = separateWriters(opts.Stdout, opts.Stderr)
	var extra []*os.File // passed to the monitor
	var roles []string
	var ours []*os.File // our ends, closed after the start
	defer func() {
		for _, f := range extra {
			f.Close()
		}
	}()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	sess.statusR = statusR
	extra, roles = append(extra, statusW), append(roles, "status")
	for _, a := range []struct {
		role string
		w    io.Writer
	}{{"stdout", opts.Stdout}, {"stderr", opts.Stderr}} {
		if a.w == nil || !sess.attached {
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		extra, roles = append(extra, w), append(roles, a.role)
		sess.copies.Add(1)
		go func() { defer sess.copies.Done(); io.Copy(a.w, r); r.Close() }()
		ours = append(ours, r)
	}
	if opts.Stdin != nil && c.Process.Stdin {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		extra, roles = append(extra, r), append(roles, "stdin")
		go func() { io.Copy(w, opts.Stdin); w.Close() }()
	}
	logFile, err := os.OpenFile(filepath.Join(s.Dir(c.ID), "monitor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	if err := s.startMonitor(opts.MonitorArgv, c.ID, roles, logFile, extra); err != nil {
		return nil, err
	}
	for _, f := range extra {
		f.Close()
	}
	extra = nil
	sess.events = bufio.NewReader(statusR)
	e, err := sess.next()
	if err != nil || e.Event != "started" {
		statusR.Close()
		for _, f := range ours {
			f.Close()
		}
		if err == nil && e.Event == "error" {
			err = errors.New(e.Error)
		}
		if err == nil {
			err = fmt.Errorf("unexpected monitor event %q", e.Event)
		}
		return nil, fmt.Errorf("start %s: %w", c.Name, err)
	}
	return sess, nil
}

// startMonitor starts the monitor in its own session with fds 3, 4, ...
// being extra, in the roles monitorFdsEnv names. A monitor that is this
// very binary runs from the sealed copy its init will run from, so that
// the two share their pages instead of each faulting in its own.
func (s *Store) startMonitor(argv []string, id string, roles []string, logFile *os.File, extra []*os.File) error {
	path := argv[0]
	if !strings.Contains(path, "/") {
		var err error
		if path, err = exec.LookPath(path); err != nil {
			return fmt.Errorf("start monitor: %w", err)
		}
	}
	env := os.Environ()
	var readyW *os.File
	var copyDone <-chan struct{}
	if sameExecutable(path) {
		if exe, err := exeIdentity(); err == nil {
			bin, job := startingCopy()
			if bin == nil && job == nil {
				beginCopy(s.runRoot)
				bin, job = startingCopy()
			}
			if bin == nil && job != nil {
				// The copy is not done: rather than wait, the monitor starts
				// from the binary itself and takes the copy over, to wait for
				// it only if its own start-up is the shorter.
				r, w, err := os.Pipe()
				if err != nil {
					return err
				}
				defer r.Close()
				readyW, copyDone = w, job.done
				extra = append(append([]*os.File(nil), extra...), job.f, r)
				roles = append(append([]string(nil), roles...), "initcopy", "initready")
			} else if bin, err = sealedCopy(s.runRoot, false); err == nil {
				path = "/proc/self/fd/" + strconv.Itoa(int(bin.Fd()))
				env = append(env, sealedFromEnv+"="+exe)
			}
		}
	}
	env = append(env, monitorFdsEnv+"="+strings.Join(roles, ","))
	if readyW != nil {
		defer func() {
			// Closed once the copy is sealed; if this process dies first,
			// the monitor finds it unsealed and makes its own.
			go func() { <-copyDone; readyW.Close() }()
		}()
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	files := []uintptr{null.Fd(), logFile.Fd(), logFile.Fd()}
	for _, f := range extra {
		files = append(files, f.Fd())
	}
	// syscall.ForkExec rather than os/exec: os.StartProcess first forks a
	// throwaway child to probe for pidfd support, once per process.
	pid, err := syscall.ForkExec(path, append(append([]string(nil), argv...), id), &syscall.ProcAttr{
		Env: env, Files: files, Sys: &syscall.SysProcAttr{Setsid: true},
	})
	runtime.KeepAlive(extra)
	if err != nil {
		return fmt.Errorf("start monitor: %w", err)
	}
	go func() {
		// Reap it if we outlive it.
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				return
			}
		}
	}()
	return nil
}

func (sess *Session) next() (event, error) {
	line, err := sess.events.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			return event{}, errors.New("the monitor exited unexpectedly (see monitor.log in the container's directory)")
		}
		return event{}, err
	}
	var e event
	if err := json.Unmarshal(line, &e); err != nil {
		return event{}, err
	}
	return e, nil
}

// Wait waits for an attached start's first exit and the end of its output.
// A detached session has nothing to wait for and returns 0.
func (sess *Session) Wait() (int, error) {
	defer sess.statusR.Close()
	if !sess.attached {
		return 0, nil
	}
	e, err := sess.next()
	if err != nil {
		sess.copies.Wait()
		return -1, err
	}
	sess.copies.Wait()
	if e.Event == "error" {
		return -1, errors.New(e.Error)
	}
	return e.Code, nil
}
