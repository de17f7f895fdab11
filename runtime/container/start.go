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
	"time"

	"golang.org/x/sys/unix"
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
	// Early is the container's monitor started by Prestart, to be
	// released instead of starting one; it must have been started with
	// the same streams.
	Early *EarlyMonitor
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
// process runs, or with the reason it could not start. With opts.Early, it
// releases that monitor instead of starting one.
func (s *Store) Start(ctx context.Context, ref string, opts StartOptions) (*Session, error) {
	c, err := s.Get(ref)
	if err != nil {
		opts.Early.Cancel()
		return nil, err
	}
	unlock, err := s.lock(c.ID)
	if err != nil {
		opts.Early.Cancel()
		return nil, err
	}
	defer unlock()
	if c, err = s.load(c.ID); err == nil && (c.Running() || c.State.monitorAlive()) {
		err = fmt.Errorf("%w: %s", ErrRunning, c.Name)
	}
	if err == nil && opts.Early != nil && opts.Early.id != c.ID {
		err = fmt.Errorf("start %s: the monitor started early is for container %s", c.Name, opts.Early.id)
	}
	if err != nil {
		opts.Early.Cancel()
		return nil, err
	}
	e := opts.Early
	if e == nil {
		logFile, err := os.OpenFile(filepath.Join(s.Dir(c.ID), "monitor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		defer logFile.Close()
		if e, err = s.spawnMonitor(c.ID, opts, c.Process.Stdin, logFile); err != nil {
			return nil, err
		}
	} else if err := e.release(c.Process.Stdin); err != nil {
		e.close()
		return nil, fmt.Errorf("start %s: %w", c.Name, err)
	}
	return e.started(c.Name)
}

// EarlyMonitor is a container's monitor started before the container is
// created (see Store.Prestart): it waits to be released by Start, or ends
// when Cancel or the starter's exit closes its release pipe.
type EarlyMonitor struct {
	id       string
	sess     *Session
	ours     []*os.File      // our ends of the attached output, closed if the start fails
	releaseW *os.File        // nil for a monitor started by Start itself
	exited   <-chan struct{} // closed once the monitor process has exited
	stdinW   *os.File
	stdin    io.Reader
}

// Prestart starts the monitor of the container that is about to be
// created under id, so that the monitor's own start-up (its runtime and
// package initialization, tens of milliseconds) overlaps the container's
// creation instead of following it. Pass it to Start as opts.Early once
// the container exists; Cancel it if the container is not made.
func (s *Store) Prestart(id string, opts StartOptions) (*EarlyMonitor, error) {
	if !validID(id) {
		return nil, fmt.Errorf("prestart: invalid container ID %q", id)
	}
	return s.spawnMonitor(id, opts, opts.Stdin != nil, nil)
}

// validID reports whether id can name a container's directories: an ID
// from NewID, or any other that is one plain path element.
func validID(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, "/\x00")
}

// Cancel makes an unreleased early monitor exit without touching its
// container. Cancel of nil or of a released monitor does nothing.
func (e *EarlyMonitor) Cancel() {
	if e == nil || e.releaseW == nil {
		return
	}
	e.close()
	// Until it exits, the monitor may still be setting itself up under
	// the roots (its store, the init's copy): the caller may remove them,
	// or end, right after.
	if e.exited != nil {
		select {
		case <-e.exited:
		case <-time.After(5 * time.Second):
		}
	}
}

// close closes the starter's ends of the monitor's pipes.
func (e *EarlyMonitor) close() {
	for _, f := range append([]*os.File{e.releaseW, e.sess.statusR, e.stdinW}, e.ours...) {
		if f != nil {
			f.Close()
		}
	}
	e.releaseW, e.stdinW = nil, nil
}

// release lets an early monitor go on with its created container.
func (e *EarlyMonitor) release(stdin bool) error {
	if e.stdinW != nil && !stdin {
		e.stdinW.Close() // the container keeps no stdin: it reads end of file
		e.stdinW = nil
	}
	_, err := e.releaseW.Write([]byte{1})
	e.releaseW.Close()
	e.releaseW = nil
	return err
}

// spawnMonitor starts a monitor for id with its status pipe and, for an
// attached start, the output pipes and (with stdin) the input pipe. With
// no logFile the monitor is an early one: it waits for its release and
// opens its log itself.
func (s *Store) spawnMonitor(id string, opts StartOptions, stdin bool, logFile *os.File) (e *EarlyMonitor, err error) {
	e = &EarlyMonitor{id: id, sess: &Session{attached: opts.Stdout != nil || opts.Stderr != nil}}
	opts.Stdout, opts.Stderr = separateWriters(opts.Stdout, opts.Stderr)
	var extra []*os.File // passed to the monitor
	var roles []string
	defer func() {
		for _, f := range extra {
			f.Close()
		}
		if err != nil {
			e.close()
		}
	}()
	pipe := func(role string, theirs func(r, w *os.File) (*os.File, *os.File)) (*os.File, error) {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		t, ours := theirs(r, w)
		extra, roles = append(extra, t), append(roles, role)
		return ours, nil
	}
	readEnd := func(r, w *os.File) (*os.File, *os.File) { return w, r }
	writeEnd := func(r, w *os.File) (*os.File, *os.File) { return r, w }
	if e.sess.statusR, err = pipe("status", readEnd); err != nil {
		return e, err
	}
	for _, a := range []struct {
		role string
		w    io.Writer
	}{{"stdout", opts.Stdout}, {"stderr", opts.Stderr}} {
		if a.w == nil || !e.sess.attached {
			continue
		}
		r, err := pipe(a.role, readEnd)
		if err != nil {
			return e, err
		}
		e.sess.copies.Add(1)
		go func() { defer e.sess.copies.Done(); io.Copy(a.w, r); r.Close() }()
		e.ours = append(e.ours, r)
	}
	if opts.Stdin != nil && stdin {
		if e.stdinW, err = pipe("stdin", writeEnd); err != nil {
			return e, err
		}
		e.stdin = opts.Stdin
	}
	if logFile == nil {
		if e.releaseW, err = pipe("release", writeEnd); err != nil {
			return e, err
		}
	}
	if e.exited, err = s.startMonitor(opts.MonitorArgv, id, roles, logFile, extra); err != nil {
		return e, err
	}
	return e, nil
}

// started waits for the monitor's first word: the main process runs, or
// why it could not start.
func (e *EarlyMonitor) started(name string) (*Session, error) {
	if e.stdinW != nil {
		w := e.stdinW
		go func() { io.Copy(w, e.stdin); w.Close() }()
		e.stdinW = nil
	}
	sess := e.sess
	sess.events = bufio.NewReader(sess.statusR)
	ev, err := sess.next()
	if err != nil || ev.Event != "started" {
		sess.statusR.Close()
		for _, f := range e.ours {
			f.Close()
		}
		if err == nil && ev.Event == "error" {
			err = errors.New(ev.Error)
		}
		if err == nil {
			err = fmt.Errorf("unexpected monitor event %q", ev.Event)
		}
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return sess, nil
}

// sameFile reports whether the two paths name one file.
func sameFile(a, b string) bool {
	var sa, sb unix.Stat_t
	if unix.Stat(a, &sa) != nil || unix.Stat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// startMonitor starts the monitor in its own session with fds 3, 4, ...
// being extra, in the roles monitorFdsEnv names. A monitor that is this
// very binary runs from the sealed copy its init will run from, so that
// the two share their pages instead of each faulting in its own.
func (s *Store) startMonitor(argv []string, id string, roles []string, logFile *os.File, extra []*os.File) (<-chan struct{}, error) {
	path := argv[0]
	if !strings.Contains(path, "/") {
		var err error
		if path, err = exec.LookPath(path); err != nil {
			return nil, fmt.Errorf("start monitor: %w", err)
		}
	}
	env := os.Environ()
	var readyR, readyW *os.File
	var copyDone <-chan struct{}
	defer func() {
		if readyR != nil {
			readyR.Close()
		}
	}()
	// handOver passes the monitor the sealed copy its init is to run
	// from, with a pipe closed once the copy is complete.
	handOver := func(f *os.File, done <-chan struct{}) error {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		extra = append(append([]*os.File(nil), extra...), f, r)
		roles = append(append([]string(nil), roles...), "initcopy", "initready")
		readyR, readyW, copyDone = r, w, done
		return nil
	}
	// A monitor of this binary, or the monitor binary carried with an
	// init binary of its own (which carries the same), takes the copy.
	if initImage != "" || sameFile(path, "/proc/self/exe") {
		bin, job := startingCopy()
		if bin == nil && job == nil {
			beginCopy(s.runRoot)
			bin, job = startingCopy()
		}
		switch {
		case bin == nil && job != nil:
			// The copy is not done: rather than wait, the monitor starts
			// and takes the copy over, to wait for it only if its own
			// start-up is the shorter.
			if err := handOver(job.f, job.done); err != nil {
				return nil, err
			}
		case sameExecutable(path):
			// The copy is of this very binary: the monitor runs from it.
			if exe, err := exeIdentity(); err == nil {
				if bin, err = sealedCopy(s.runRoot, false); err == nil {
					path = "/proc/self/fd/" + strconv.Itoa(int(bin.Fd()))
					env = append(env, sealedFromEnv+"="+exe)
				}
			}
		}
		// A finished copy of an init binary of its own is announced by
		// the monitor that took it over, or was found announced: the
		// monitor finds it there and leaves the announcement as it is.
	}
	env = append(env, monitorFdsEnv+"="+strings.Join(roles, ","))
	// A monitor waits on its container and serves it: one P is enough,
	// and a second only multiplies the runtime's hand-offs between
	// threads around its many system calls (50 containers started at
	// once: -10 % on up, -15 % on down).
	if os.Getenv("GOMAXPROCS") == "" {
		env = append(env, "GOMAXPROCS=1")
	}
	if readyW != nil {
		defer func() {
			// Closed once the copy is sealed; if this process dies first,
			// the monitor finds it unsealed and makes its own.
			go func() { <-copyDone; readyW.Close() }()
		}()
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	out := null // an early monitor opens its log once its container exists
	if logFile != nil {
		out = logFile
	}
	files := []uintptr{null.Fd(), out.Fd(), out.Fd()}
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
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		// Reap it if we outlive it.
		defer close(exited)
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				return
			}
		}
	}()
	return exited, nil
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

// awaitRelease waits until the starter of an early monitor has created
// its container, then sends the monitor's output to the container's
// monitor.log. It reports false when the starter gave up (or died): the
// container was not made and the monitor has nothing to do.
func (m *monitor) awaitRelease(dir string) bool {
	var b [1]byte
	n, _ := m.release.Read(b[:])
	m.release.Close()
	m.release = nil
	if n == 0 {
		return false
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "monitor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return true // the start goes on; its output is lost
	}
	defer logFile.Close()
	for _, fd := range []int{1, 2} {
		unix.Dup3(int(logFile.Fd()), fd, 0)
	}
	return true
}
