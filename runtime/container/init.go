package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"stack/runtime/seccomp"
)

// initArg0 is how the monitor starts the init: the binary checks argv[0]
// before anything else runs (see IsInit).
const initArg0 = "stack-init"

// initSocketFd is where the init finds its socket to the monitor.
const initSocketFd = 3

// initConfig is what the init needs from the monitor, sent over the socket.
type initConfig struct {
	RootfsDir       string          `json:"rootfsDir"`
	Rootfs          Rootfs          `json:"rootfs"`
	Mounts          []Mount         `json:"mounts,omitempty"`
	Hostname        string          `json:"hostname,omitempty"`
	Domainname      string          `json:"domainname,omitempty"`
	Process         Process         `json:"process"`
	NoInit          bool            `json:"noInit,omitempty"`
	Privileged      bool            `json:"privileged,omitempty"`
	Caps            []string        `json:"caps"`
	NoNewPrivileges bool            `json:"noNewPrivileges,omitempty"`
	Seccomp         bool            `json:"seccomp,omitempty"`
	SeccompProfile  json.RawMessage `json:"seccompProfile,omitempty"` // Docker's format; none for the default filter
	Loopback        bool            `json:"loopback,omitempty"`       // bring lo up: the init has its own network namespace
	CgroupNS        bool            `json:"cgroupNS,omitempty"`
	JoinNetns       bool            `json:"joinNetns,omitempty"` // fd 4 is a network namespace to join
}

// IsInit reports whether this process was started as a container's init.
func IsInit() bool { return len(os.Args) > 0 && os.Args[0] == initArg0 }

// InitMain runs the container's init and never returns. cmd/stack calls it
// from main when IsInit reports true, before any flag parsing.
func InitMain() {
	// os/signal enables each signal with a round trip to a runtime thread of
	// its own, some 65 thread switches for all signals. Begun now, they
	// overlap the wait for the monitor and the building of the container's
	// file system instead of delaying the main process's start. A signal
	// that arrives before the main process runs waits in the channel and is
	// forwarded to it.
	signals := make(chan os.Signal, 64)
	notified := make(chan struct{})
	go func() {
		signal.Notify(signals)
		close(notified)
	}()
	nameProcess(initArg0)
	// Capabilities, no_new_privs and namespaces joined later are per thread:
	// everything is done, and every process is started, from this one.
	runtime.LockOSThread()
	closeInheritedFds(initSocketFd + 1) // the socket, and a namespace to join if any
	// Non-dumpable: processes in the container cannot ptrace the init or open
	// its /proc/1/fd, /proc/1/exe and /proc/1/mem.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	in := &initProcess{sock: initSocketFd, procs: map[int]int{}, signals: signals, notified: notified}
	err := in.run()
	if err != nil {
		sendMessage(in.sock, message{Type: msgError, Error: err.Error()})
		fmt.Fprintf(os.Stderr, "stack-init: %v\n", err)
		os.Exit(127)
	}
	os.Exit(in.status)
}

// closeInheritedFds closes every descriptor above keep that came in
// without close-on-exec: whatever the monitor's own ancestors leaked must
// not reach the container. The runtime's own descriptors are all
// close-on-exec, so they are left alone.
func closeInheritedFds(keep int) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= keep {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}

type initProcess struct {
	sock    int
	cfg     *initConfig
	mainPid int

	mu      sync.Mutex  // held while children are started and reaped
	status  int         // the main process's, once reaped
	procs   map[int]int // pid → exec ID
	filter  seccomp.Filter
	lastCap int

	signals  chan os.Signal
	notified <-chan struct{} // closed once signals receives every signal
}

func (in *initProcess) run() error {
	unix.CloseOnExec(in.sock)
	m, _, err := recvMessage(in.sock)
	if err != nil || m.Type != msgConfig || m.Config == nil {
		return fmt.Errorf("read config from the monitor: %v", err)
	}
	in.cfg = m.Config
	if !in.cfg.JoinNetns {
		closeInheritedFds(initSocketFd) // fd 4 is not ours then
	}
	if err := in.prepare(); err != nil {
		return err
	}
	// The threads os/signal starts exist by the time the monitor counts
	// ours for the pids limit, and so do spare ones.
	<-in.notified
	spareThreads(initSpareThreads)
	if err := sendMessage(in.sock, message{Type: msgReady}); err != nil {
		return err
	}
	m, fds, err := recvMessage(in.sock)
	closeAll(fds)
	if err != nil || m.Type != msgStart {
		return fmt.Errorf("wait for the monitor's start: %v", err)
	}
	if err := in.confine(); err != nil {
		return err
	}
	if in.cfg.NoInit {
		return in.execMain()
	}
	pidfd := -1
	in.mu.Lock()
	pid, master, err := in.spawnPidfd(in.cfg.Process, [3]int{0, 1, 2}, &pidfd)
	in.mainPid = pid
	in.mu.Unlock()
	if err != nil {
		return err
	}
	in.reply(message{Type: msgStarted, Pid: pid}, master)
	go in.forward(in.signals)
	if pidfd >= 0 {
		go in.watchMain(pidfd)
	}
	in.serve()
	return nil
}

// prepare builds the container's world while still fully privileged.
func (in *initProcess) prepare() error {
	cfg := in.cfg
	// On this thread only, which starts every process of the container:
	// syscall.Setgroups changes every thread of the runtime, each stopped
	// by a signal for it.
	if _, _, errno := unix.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); errno != 0 {
		return fmt.Errorf("clear supplementary groups: %w", errno)
	}
	if cfg.CgroupNS {
		// The monitor has placed us in our cgroup: that becomes the root.
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("cgroup namespace: %w", err)
		}
	}
	if cfg.JoinNetns {
		// Namespaces joined by setns are per thread: this locked thread
		// starts every process of the container.
		err := unix.Setns(initSocketFd+1, unix.CLONE_NEWNET)
		unix.Close(initSocketFd + 1)
		if err != nil {
			return fmt.Errorf("join network namespace: %w", err)
		}
	}
	if cfg.Loopback {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	if err := setupRootfs(cfg); err != nil {
		return err
	}
	if cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			return fmt.Errorf("sethostname: %w", err)
		}
	}
	if cfg.Domainname != "" {
		if err := unix.Setdomainname([]byte(cfg.Domainname)); err != nil {
			return fmt.Errorf("setdomainname: %w", err)
		}
	}
	if err := setRlimits(cfg.Process.Rlimits); err != nil {
		return err
	}
	// Worked out now, while the monitor wires the network, so that the
	// start itself only has to install them.
	if cfg.Seccomp {
		filter, err := seccompFilter(cfg.SeccompProfile, cfg.Caps)
		if err != nil {
			return err
		}
		in.filter = filter
	}
	in.lastCap = lastCap()
	return nil
}

// confine applies the container's privileges to the init's thread, so
// that the main process and every exec inherit them.
func (in *initProcess) confine() error {
	cfg := in.cfg
	if cfg.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("no_new_privs: %w", err)
		}
	}
	if cfg.Seccomp {
		if err := seccomp.Install(in.filter); err != nil {
			return err
		}
	}
	if err := limitCaps(cfg.Caps, in.lastCap); err != nil {
		return err
	}
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	return nil
}

// execMain replaces the init with the main process (--no-init).
func (in *initProcess) execMain() error {
	p := in.cfg.Process
	argv0, env, u, err := resolveProcess(p, in.cfg.Hostname)
	if err != nil {
		return err
	}
	if err := unix.Chdir(cwdOf(p)); err != nil {
		return fmt.Errorf("working directory %s: %w", cwdOf(p), err)
	}
	if err := switchUser(u); err != nil {
		return err
	}
	in.reply(message{Type: msgStarted, Pid: 1}, nil)
	if err := unix.Exec(argv0, p.Args, env); err != nil {
		return fmt.Errorf("exec %s: %w", p.Args[0], err)
	}
	return nil
}

func (in *initProcess) reply(m message, f *os.File) {
	if f != nil {
		sendMessage(in.sock, m, int(f.Fd()))
		f.Close()
		return
	}
	sendMessage(in.sock, m)
}

// forward passes every signal the init receives on to the main process,
// and reaps on SIGCHLD. Any thread may do both: it runs apart from the
// locked thread, which is busy with the monitor's requests.
func (in *initProcess) forward(signals chan os.Signal) {
	for sig := range signals {
		if sig == unix.SIGCHLD {
			in.reap()
			continue
		}
		if s, ok := sig.(syscall.Signal); ok {
			unix.Kill(in.mainPid, s)
		}
	}
}

// watchMain reaps as soon as the main process exits: the kernel makes its
// pidfd readable then, and the runtime's poller wakes this goroutine
// directly, where a SIGCHLD takes a signal handler, os/signal's goroutine
// and a channel. If the pidfd cannot be polled, SIGCHLD still does it.
func (in *initProcess) watchMain(pidfd int) {
	if err := unix.SetNonblock(pidfd, true); err != nil {
		unix.Close(pidfd)
		return
	}
	f := os.NewFile(uintptr(pidfd), "main-process")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Read(func(uintptr) bool { return in.reap() })
}

type request struct {
	msg message
	fds []int
}

// serve handles the monitor's requests on the init's locked thread, which
// exec and healthcheck processes must be started from. The init exits
// from reap, once the main process has.
func (in *initProcess) serve() {
	// The socket is waited on through the runtime's poller, so that this
	// thread gives up the init's only P while it waits: blocked in a
	// receive, it would keep it, and the goroutines that reap the main
	// process and forward signals would wait for the runtime's monitor
	// thread to take the P back, up to 10 ms once the init is idle.
	// The first quiet moment, when no request came for idleAfter, lets go
	// of the start-up's code (see dropTextPages): a deadline, served by the
	// runtime's timers, as the init must not need a new thread for a timer
	// once the container may have used up its pids.
	conn, err := pollableSocket(in.sock)
	if err != nil {
		in.serveBlocking()
		return
	}
	idle := true
	conn.file.SetReadDeadline(time.Now().Add(idleAfter))
	for {
		m, fds, err := conn.recv()
		if err != nil {
			if errors.Is(err, unix.EBADMSG) {
				continue
			}
			if idle && errors.Is(err, os.ErrDeadlineExceeded) {
				dropTextPages()
				idle = false
				conn.file.SetReadDeadline(time.Time{})
				continue
			}
			select {} // the monitor is gone; pdeathsig ends us
		}
		in.handle(request{m, fds})
	}
}

// serveBlocking is serve on a socket the poller cannot take.
func (in *initProcess) serveBlocking() {
	for {
		m, fds, err := recvMessage(in.sock)
		if err != nil {
			if errors.Is(err, unix.EBADMSG) {
				continue
			}
			select {} // the monitor is gone; pdeathsig ends us
		}
		in.handle(request{m, fds})
	}
}

// polledSocket receives messages through the runtime's poller.
type polledSocket struct {
	file *os.File // kept: its finalizer would close the socket
	raw  syscall.RawConn
}

// pollableSocket makes fd non-blocking and registers it with the poller.
// Senders on it wait out a full buffer (see sendMessage).
func pollableSocket(fd int) (*polledSocket, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "monitor-socket")
	raw, err := f.SyscallConn()
	if err != nil {
		unix.SetNonblock(fd, false)
		return nil, err
	}
	return &polledSocket{file: f, raw: raw}, nil
}

func (s *polledSocket) recv() (m message, fds []int, err error) {
	rerr := s.raw.Read(func(fd uintptr) bool {
		m, fds, err = recvMessage(int(fd))
		return !errors.Is(err, unix.EAGAIN)
	})
	if rerr != nil {
		return message{}, nil, rerr
	}
	return m, fds, err
}

// initSpareThreads is how many idle threads the init keeps for its runtime:
// the main process, a fork bomb say, may take every pid the container's
// pids limit leaves, and a runtime that then needs one more thread to run
// a woken goroutine cannot create it and crashes.
const initSpareThreads = 3

// spareThreads makes the runtime start n more threads, which it keeps idle
// for later: n goroutines lock a thread each and wait, so the scheduler
// needs a new one for the next, then they unlock and end.
func spareThreads(n int) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		locked := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			close(locked)
			<-release
			runtime.UnlockOSThread()
		}()
		<-locked
	}
	close(release)
	wg.Wait()
}

// idleAfter is how long the init waits for a request before it counts as
// idle: by then a short-lived container has exited.
const idleAfter = 200 * time.Millisecond

func (in *initProcess) handle(r request) {
	switch r.msg.Type {
	case msgExec:
		if r.msg.Process == nil {
			closeAll(r.fds)
			return
		}
		stdio := [3]int{-1, -1, -1}
		next := 0
		for i := range stdio {
			if r.msg.Stdio&(1<<i) != 0 && next < len(r.fds) {
				stdio[i] = r.fds[next]
				next++
			}
		}
		// Registered before it can be reaped: reap takes the lock too.
		in.mu.Lock()
		pid, master, err := in.spawn(*r.msg.Process, stdio)
		if err == nil {
			in.procs[pid] = r.msg.ID
		}
		in.mu.Unlock()
		closeAll(r.fds)
		if err != nil {
			in.reply(message{Type: msgError, ID: r.msg.ID, Error: err.Error()}, nil)
			return
		}
		in.reply(message{Type: msgStarted, ID: r.msg.ID, Pid: pid}, master)
	case msgSignal:
		closeAll(r.fds)
		in.mu.Lock()
		for pid, id := range in.procs {
			if id == r.msg.ID {
				unix.Kill(pid, syscall.Signal(r.msg.Signal))
			}
		}
		in.mu.Unlock()
	default:
		closeAll(r.fds)
	}
}

// reap collects every exited child. Once the main process has exited, the
// rest of the container is killed, as with Docker, and the init exits with
// the main process's status; reap returns whether it had not, so far.
func (in *initProcess) reap() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	mainDone := false
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			break
		}
		status := exitStatusOf(ws)
		if pid == in.mainPid {
			in.status, mainDone = status, true
			continue
		}
		if id, ok := in.procs[pid]; ok {
			delete(in.procs, pid)
			in.reply(message{Type: msgExited, ID: id, Status: status}, nil)
		}
	}
	if mainDone {
		unix.Kill(-1, unix.SIGKILL)
		in.reply(message{Type: msgExited, ID: 0, Status: in.status}, nil)
		os.Exit(in.status)
	}
	return false
}

func exitStatusOf(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

func cwdOf(p Process) string {
	if p.Cwd == "" {
		return "/"
	}
	return p.Cwd
}

// resolveProcess finds the executable in the container's PATH and completes
// the environment the way Docker does.
func resolveProcess(p Process, hostname string) (string, []string, execUser, error) {
	u, err := lookupUser(p.User)
	if err != nil {
		return "", nil, u, err
	}
	env := withDefault(p.Env, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	if hostname != "" {
		env = withDefault(env, "HOSTNAME", hostname)
	}
	env = withDefault(env, "HOME", u.Home)
	if p.Terminal {
		env = withDefault(env, "TERM", "xterm")
	}
	if len(p.Args) == 0 {
		return "", nil, u, errors.New("no command")
	}
	path, err := lookPath(p.Args[0], envValue(env, "PATH"), cwdOf(p))
	return path, env, u, err
}

func lookPath(name, pathEnv, cwd string) (string, error) {
	if strings.Contains(name, "/") {
		full := name
		if !filepath.IsAbs(full) {
			full = filepath.Join(cwd, name)
		}
		if err := unix.Access(full, unix.X_OK); err != nil {
			return "", fmt.Errorf("exec %s: %w", name, err)
		}
		return full, nil
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		full := filepath.Join(dir, name)
		if st, err := os.Stat(full); err == nil && !st.IsDir() && unix.Access(full, unix.X_OK) == nil {
			return full, nil
		}
	}
	return "", fmt.Errorf("exec %s: executable file not found in $PATH", name)
}

func withDefault(env []string, key, value string) []string {
	if envValue(env, key) != "" || value == "" {
		return env
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return env
		}
	}
	return append(env, key+"="+value)
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}
