package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"stack/runtime/cgroups"
)

// monitorFdsEnv tells the monitor which descriptors its starter passed:
// a comma-separated list of roles for fds 3, 4, ... (status, stdout,
// stderr, stdin).
const monitorFdsEnv = "STACK_MONITOR_FDS"

// event is what the monitor tells the command that started it.
type event struct {
	Event string `json:"event"` // started, error, exit
	Error string `json:"error,omitempty"`
	Code  int    `json:"code,omitempty"`
}

type monitor struct {
	store *Store
	c     *Container
	hooks Hooks
	log   *logWriter

	status               *os.File // event pipe to the starter; nil once it is done
	release              *os.File // an early monitor's wait for its container, see Store.Prestart
	attachOut, attachErr *os.File
	attachIn             *os.File

	mu       sync.Mutex
	inst     *instance
	stopping bool          // a stop was asked for: do not restart
	wake     chan struct{} // interrupts the restart backoff
	trimOnce sync.Once

	setUp     func() error // the monitor's own set-up, done while its first init starts
	detaching <-chan error // yields the detach of the network of the last exit, once done
	// cgroupGone says the last run's cgroup was removed when it ended.
	cgroupGone bool
	ended      []*os.File // mount namespaces of exited inits, see instance.takeMountNS

	handlers sync.WaitGroup // control requests being served
	served   chan struct{}  // closed when the control socket accepts no more
}

// answerGrace is how long a monitor whose container has ended waits for the
// control requests it is serving: a kill that ended the container is
// answered before the monitor goes, not cut off.
const answerGrace = time.Second

// trimDelay is how long after the start the monitor gives back what its
// start-up allocated: by then a short-lived container has exited, and the
// collection costs it nothing.
const trimDelay = 200 * time.Millisecond

// trimMemory returns the garbage of the monitor's start-up (flag and
// configuration parsing, package initialization) to the system, keeps its
// heap small from then on and lets go of the code it ran once: it lives as
// long as its container, and mostly waits. Not in the init: a collection may need a new thread, which
// a container at its pids limit would refuse it.
func trimMemory() {
	debug.SetGCPercent(lowGCPercent)
	debug.FreeOSMemory()
	dropTextPages()
}

// lowGCPercent lets a heap of a few hundred KiB grow to about 1 MiB
// before a collection, instead of 4 MiB.
const lowGCPercent = 25

// RunMonitor is the body of a container's monitor process: it runs the
// container, restarts it per its policy, and serves the control socket,
// until the container has stopped for good. cmd/stack calls it from the
// hidden monitor command that Start executes.
func RunMonitor(store *Store, id string, hooks Hooks) error {
	nameProcess("stack")
	m := &monitor{store: store, hooks: hooks, wake: make(chan struct{}, 1), served: make(chan struct{})}
	m.takeFds()
	if m.release != nil && !m.awaitRelease(store.Dir(id)) {
		return nil
	}
	c, err := store.Get(id)
	if err != nil {
		m.notify(event{Event: "error", Error: err.Error()})
		return err
	}
	m.c = c
	err = m.run()
	if err != nil {
		m.notify(event{Event: "error", Error: err.Error()})
	}
	return err
}

func (m *monitor) takeFds() {
	roles := strings.Split(os.Getenv(monitorFdsEnv), ",")
	os.Unsetenv(monitorFdsEnv)
	var copyFile, copyReady *os.File
	defer func() {
		if copyFile != nil && copyReady != nil {
			initBinaryMu.Lock()
			handed = &handedCopy{f: copyFile, ready: copyReady}
			initBinaryMu.Unlock()
		}
	}()
	for i, role := range roles {
		f := os.NewFile(uintptr(3+i), role)
		if f == nil {
			continue
		}
		unix.CloseOnExec(3 + i)
		switch role {
		case "initcopy":
			copyFile = f
		case "initready":
			copyReady = f
		case "status":
			m.status = f
		case "release":
			m.release = f
		case "stdout":
			m.attachOut = f
		case "stderr":
			m.attachErr = f
		case "stdin":
			m.attachIn = f
		}
	}
}

func (m *monitor) notify(e event) {
	if m.status == nil {
		return
	}
	data, _ := json.Marshal(e)
	m.status.Write(append(data, '\n'))
	if e.Event != "started" || (m.attachOut == nil && m.attachErr == nil) {
		m.status.Close()
		m.status = nil
	}
}

func (m *monitor) run() error {
	// When no live monitor has a sealed copy of the binary to share, making
	// one copies megabytes; started now, it overlaps with the setup below
	// instead of delaying the launch, which waits for it under the same lock.
	go sealedSelf(m.store.runRoot)
	st := &m.c.State
	st.MonitorPid = os.Getpid()
	st.MonitorStart = processStart(st.MonitorPid)
	st.StoppedByUser = false
	st.Released = false
	runDir := m.store.RunDir(m.c.ID)
	defer os.RemoveAll(runDir)
	var ln *net.UnixListener
	defer func() {
		if ln != nil {
			ln.Close()
			m.waitHandlers(answerGrace)
		}
		if m.log != nil {
			m.log.Close()
		}
	}()
	// The init mounts the root on this directory: made before it starts.
	if err := os.MkdirAll(filepath.Join(runDir, "rootfs"), 0o700); err != nil {
		m.finish(-1, err)
		return err
	}
	// The start-up of the init's runtime is the longest step of a start:
	// the monitor sets itself up meanwhile (see launchSpec.WhileStarting).
	m.setUp = func() error {
		log, err := openLog(m.store.LogPath(m.c.ID), m.c.Log)
		if err != nil {
			return err
		}
		m.log = log
		if ln, err = m.listen(runDir); err != nil {
			return err
		}
		go m.serve(ln)
		return nil
	}
	// The mounts of exited containers go last, once the exit is reported.
	defer m.dropEnded()

	for {
		code, err := m.runOnce()
		if err != nil {
			m.finish(-1, err)
			return err
		}
		delay, again := m.shouldRestart(code)
		if !again {
			m.finish(code, nil)
			return nil
		}
		m.waitDetached()
		m.dropEnded()
		m.setState(func(s *State) { s.Status = StatusRestarting; s.RestartCount++ })
		select {
		case <-time.After(delay):
		case <-m.wake:
		}
		if m.isStopping() {
			m.finish(code, nil)
			return nil
		}
	}
}

// runOnce starts the container and waits for it to exit.
func (m *monitor) runOnce() (int, error) {
	m.cgroupGone = false
	stdio, relays, err := m.pipes()
	if err != nil {
		return 0, err
	}
	cfg := m.c.Config
	etcDir := m.store.Dir(m.c.ID)
	netns, err := m.joinedNetns()
	if err != nil {
		for _, f := range append(stdio[:], relays...) {
			if f != nil {
				f.Close()
			}
		}
		return 0, err
	}
	setUp := m.setUp
	m.setUp = nil
	inst, err := launch(context.Background(), launchSpec{
		Config: &cfg, RootfsDir: filepath.Join(m.store.RunDir(m.c.ID), "rootfs"),
		Mounts: etcMounts(etcDir, false), EtcDir: etcDir, Stdio: stdio,
		Hooks: m.hooks, Cgroup: cgroupName(m.c.ID), ShareDir: m.store.runRoot, JoinNetns: netns,
		WhileStarting: setUp,
	})
	if netns != nil {
		netns.Close()
	}
	for _, f := range stdio {
		if f != nil {
			f.Close()
		}
	}
	if err != nil {
		for _, r := range relays {
			r.Close()
		}
		m.detaching = m.detachInBackground()
		return 0, err
	}
	var wg sync.WaitGroup
	if inst.master != nil {
		relays = []*os.File{inst.master}
		if m.attachIn != nil {
			go io.Copy(inst.master, m.attachIn)
		}
	}
	for i, r := range relays {
		stream, out := "stdout", m.attachOut
		if i == 1 {
			stream, out = "stderr", m.attachErr
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			relay(r, stream, m.log, writerOrNil(out))
		}()
	}
	m.mu.Lock()
	m.inst = inst
	m.mu.Unlock()
	m.setState(func(s *State) {
		s.Status, s.Pid, s.StartedAt, s.ExitCode, s.Error, s.OOMKilled = StatusRunning, inst.pid, time.Now().UTC(), 0, "", false
		s.Released, s.Ports = false, inst.ports
		if m.c.Health != nil && healthEnabled(m.c.Health) {
			s.Health = &HealthState{Status: "starting"}
		}
	})
	m.notify(event{Event: "started"})
	m.trimOnce.Do(func() { time.AfterFunc(trimDelay, trimMemory) })
	healthCtx, stopHealth := context.WithCancel(context.Background())
	go m.healthLoop(healthCtx, inst)

	code := inst.wait()
	stopHealth()
	oom := inst.cgroup != nil && oomKilled(inst.cgroup)
	m.mu.Lock()
	m.inst = nil
	m.mu.Unlock()
	if ns := inst.takeMountNS(); ns != nil {
		m.ended = append(m.ended, ns)
	}
	// The relays first drain what the container wrote: release closes a
	// terminal's master, which would lose what is still to be read.
	wg.Wait()
	m.cgroupGone = inst.release()
	for _, r := range relays {
		if r != inst.master {
			r.Close()
		}
	}
	// The network goes while the exit is recorded (and, for --rm, the
	// files removed); the monitor is not gone before it is done.
	m.detaching = m.detachInBackground()
	m.recordExit(code, func(s *State) {
		s.Status, s.Pid, s.ExitCode, s.OOMKilled, s.FinishedAt = StatusExited, 0, code, oom, time.Now().UTC()
		s.Ports = nil
	})
	return code, nil
}

// removedOnExit reports whether this exit is the container's last and
// --rm removes it right after: its state need not reach the disk first.
func (m *monitor) removedOnExit() bool {
	if !m.c.AutoRemove {
		return false
	}
	if m.isStopping() || m.status != nil {
		return true
	}
	switch m.c.Restart.Name {
	case "always", "unless-stopped", "on-failure":
		return false
	}
	return true
}

// recordExit is setState for the state after an exit with code, kept in
// memory only when no restart follows: finish writes it then, with the
// final state, or --rm removes the container right after. A monitor that
// dies meanwhile leaves a running state with a dead monitor behind, which
// the next command cleans up as after any monitor crash.
func (m *monitor) recordExit(code int, change func(*State)) {
	if !m.removedOnExit() && m.restarts(code) {
		m.setState(change)
		return
	}
	m.mu.Lock()
	change(&m.c.State)
	m.mu.Unlock()
}

// dropEnded lets the mount namespaces of exited inits go.
func (m *monitor) dropEnded() {
	for _, ns := range m.ended {
		ns.Close()
	}
	m.ended = nil
}

// joinedNetns opens the network namespace of the container named by
// --network container:<id>, which must be running.
func (m *monitor) joinedNetns() (*os.File, error) {
	ref, ok := strings.CutPrefix(m.c.Network.Mode, "container:")
	if !ok {
		return nil, nil
	}
	other, err := m.store.Get(ref)
	if err != nil {
		return nil, fmt.Errorf("network container:%s: %w", ref, err)
	}
	if !other.Running() || other.State.Pid <= 0 {
		return nil, fmt.Errorf("network container:%s: %w", ref, ErrNotRunning)
	}
	f, err := os.Open("/proc/" + strconv.Itoa(other.State.Pid) + "/ns/net")
	if err != nil {
		return nil, fmt.Errorf("network container:%s: %w", ref, err)
	}
	return f, nil
}

func writerOrNil(f *os.File) io.Writer {
	if f == nil {
		return nil
	}
	return f
}

// pipes makes the container's stdio: stdout and stderr pipes read by the
// monitor, stdin from the attached command when it keeps stdin open. The
// init opens /dev/null inside the container for a missing stdin.
func (m *monitor) pipes() ([3]*os.File, []*os.File, error) {
	var stdio [3]*os.File
	var relays []*os.File
	if m.c.Process.Terminal {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return stdio, nil, err
		}
		return [3]*os.File{null, nil, nil}, nil, nil
	}
	if m.attachIn != nil {
		stdio[0] = m.attachIn
		m.attachIn = nil // the container owns it now
	} else {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return stdio, nil, err
		}
		stdio[0] = null
	}
	for i := 1; i <= 2; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			return stdio, nil, err
		}
		stdio[i] = w
		relays = append(relays, r)
	}
	return stdio, relays, nil
}

// detachInBackground detaches the network while the caller goes on; the
// returned channel yields the outcome once it is done.
func (m *monitor) detachInBackground() <-chan error {
	done := make(chan error, 1)
	go func() { done <- m.detachNetwork() }()
	return done
}

// waitDetached waits for the detach of the last exit, if one is under
// way, and returns its outcome.
func (m *monitor) waitDetached() error {
	if m.detaching == nil {
		return nil
	}
	err := <-m.detaching
	m.detaching = nil
	return err
}

func (m *monitor) detachNetwork() error {
	if m.hooks.Network == nil || m.c.Network.Mode == "host" || m.c.Network.Mode == "none" || strings.HasPrefix(m.c.Network.Mode, "container:") {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return m.hooks.Network.Detach(ctx, m.c.ID, m.c.Network)
}

// finish records the final state and, for --rm, removes the container.
// Commands wait for the final state (no monitor): by then the container's
// cgroup and network are released.
func (m *monitor) finish(code int, err error) {
	first := m.status != nil
	final := func(s *State) {
		s.Status, s.Pid = StatusExited, 0
		s.MonitorPid, s.MonitorStart = 0, 0
		if err != nil {
			s.Error, s.ExitCode = err.Error(), 128
			if s.FinishedAt.IsZero() || s.FinishedAt.Before(s.StartedAt) {
				s.FinishedAt = time.Now().UTC()
			}
		}
	}
	var cgErr error
	if !m.cgroupGone {
		cgErr = cgroups.Open(cgroupName(m.c.ID)).Destroy()
	}
	if m.c.AutoRemove {
		// Removed now, while the network goes: the state need not reach
		// the disk first.
		m.mu.Lock()
		final(&m.c.State)
		m.mu.Unlock()
		m.store.removeFiles(m.c)
		m.waitDetached()
	} else {
		netErr := m.waitDetached()
		m.setState(func(s *State) {
			final(s)
			s.Released = cgErr == nil && netErr == nil
		})
	}
	for _, f := range []*os.File{m.attachOut, m.attachErr, m.attachIn} {
		if f != nil {
			f.Close()
		}
	}
	if err == nil && first {
		m.notify(event{Event: "exit", Code: code})
	}
}

// restarts reports whether the restart policy restarts the container
// after an exit with code (see shouldRestart, which also says when).
func (m *monitor) restarts(code int) bool {
	if m.isStopping() || m.status != nil && m.c.AutoRemove {
		return false
	}
	switch p := m.c.Restart; p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaxRetries <= 0 || m.c.State.RestartCount < p.MaxRetries)
	}
	return false
}

// shouldRestart applies the restart policy with Docker's backoff: 100 ms,
// doubling up to a minute, back to the start after ten good seconds.
func (m *monitor) shouldRestart(code int) (time.Duration, bool) {
	if !m.restarts(code) {
		return 0, false
	}
	st := m.c.State
	if m.status != nil {
		// The attached command gets the first exit; later runs are logged only.
		m.notify(event{Event: "exit", Code: code})
		m.attachOut, m.attachErr = nil, nil
	}
	if st.FinishedAt.Sub(st.StartedAt) >= 10*time.Second {
		m.setState(func(s *State) { s.RestartCount = 0 })
		st.RestartCount = 0
	}
	delay := 100 * time.Millisecond << min(st.RestartCount, 10)
	return min(delay, time.Minute), true
}

func (m *monitor) isStopping() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopping
}

func (m *monitor) setState(change func(*State)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	change(&m.c.State)
	if err := m.store.saveState(m.c.ID, &m.c.State); err != nil {
		fmt.Fprintf(os.Stderr, "monitor %s: save state: %v\n", m.c.ID[:12], err)
	}
}

// stop asks the main process to stop with the stop signal and kills the
// container after timeout; with the init as PID 1, SIGKILL to it takes
// every process of the container along.
func (m *monitor) stop(sig unix.Signal, timeout time.Duration) {
	m.mu.Lock()
	m.stopping = true
	m.c.State.StoppedByUser = true
	inst := m.inst
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	if inst == nil {
		return
	}
	inst.sendSignal(sig)
	select {
	case <-inst.exited():
	case <-time.After(timeout):
		inst.sendSignal(unix.SIGKILL)
		<-inst.exited()
	}
}

func (m *monitor) listen(runDir string) (*net.UnixListener, error) {
	path := filepath.Join(runDir, "control.sock")
	os.Remove(path)
	short, done, err := shortPath(path)
	if err != nil {
		return nil, err
	}
	defer done()
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: short, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false) // the name was the short alias; the run dir goes anyway
	os.Chmod(path, 0o600)
	return ln, nil
}

func parseSignalNumber(s string) (unix.Signal, error) {
	if s == "" {
		return unix.SIGTERM, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, errors.New("unknown signal " + strconv.Quote(s))
}

// ParseSignal reads a signal by name (KILL, SIGKILL) or number.
func ParseSignal(s string) (unix.Signal, error) { return parseSignalNumber(s) }

// shortPath names path through an open handle on its directory, so that
// socket paths under a deep run root fit in sun_path's 108 bytes.
func shortPath(path string) (string, func(), error) {
	if len(path) < 100 {
		return path, func() {}, nil
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return "", nil, err
	}
	return "/proc/self/fd/" + strconv.Itoa(int(dir.Fd())) + "/" + filepath.Base(path), func() { dir.Close() }, nil
}
