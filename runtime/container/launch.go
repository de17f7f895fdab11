package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"stack/runtime/cgroups"
)

// instance is one run of a container's init, seen from the monitor.
type instance struct {
	pid     int // the init's pid in the host namespace
	pidMu   sync.Mutex
	pidfd   int // signals go through it, never to a recycled pid; -1 once reaped
	sock    int
	master  *os.File // the main process's terminal, if any
	cgroup  *cgroups.Cgroup
	netns   *os.File
	mountNS *os.File // see takeMountNS
	closers []io.Closer
	ports   []PortBinding // the published ports as bound

	mu      sync.Mutex
	waiters map[int]chan reply // exec ID → its started/error/exited messages
	nextID  int
	done    chan struct{} // closed when the socket reader ends
	exitCh  chan struct{} // closed when the init has exited and was reaped
	code    int
}

// launchSpec says where and how to start an init.
type launchSpec struct {
	Config    *Config
	RootfsDir string  // empty directory to mount the root on
	Mounts    []Mount // extra mounts: hosts, resolv.conf, hostname
	EtcDir    string  // where hosts/resolv.conf/hostname are (re)written after Attach
	Stdio     [3]*os.File
	Hooks     Hooks
	Cgroup    string   // cgroup name; "" for none
	ShareDir  string   // where monitors share the init binary's sealed copy; "" for a private one
	JoinNetns *os.File // network namespace to join (--network container:X)
	// WhileStarting, if set, runs once the init is started and before it
	// is configured: the caller's set-up overlaps the init's start-up.
	WhileStarting func() error
}

// launch clones the init into new namespaces, wires it and starts the main
// process. On error nothing of the attempt is left running.
func launch(ctx context.Context, spec launchSpec) (inst *instance, err error) {
	cfg := spec.Config
	bin, err := sealedSelf(spec.ShareDir)
	if err != nil {
		return nil, err
	}
	caps, err := EffectiveCaps(cfg.Security)
	if err != nil {
		return nil, err
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	child := os.NewFile(uintptr(pair[1]), "init-socket")
	defer child.Close()
	inst = &instance{pidfd: -1, sock: pair[0], waiters: map[int]chan reply{}, nextID: 1, done: make(chan struct{}), exitCh: make(chan struct{})}
	defer func() {
		if err != nil {
			inst.kill()
		}
	}()

	sys := &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC,
		Pdeathsig:  unix.SIGKILL,
		Setsid:     true,
	}
	mode := cfg.Network.Mode
	ownNetwork := mode != "host" && spec.JoinNetns == nil
	if ownNetwork {
		sys.Cloneflags |= unix.CLONE_NEWNET
	}
	// The pids limit comes once the init runs: see limitPids.
	limits := cgroups.Limits{MemoryBytes: cfg.Resources.MemoryBytes, CPUs: cfg.Resources.CPUs}
	// A unified hierarchy takes the init into its cgroup at clone time. On
	// cgroup v1 it is moved in by pid, so the cgroup is made while the
	// init's runtime starts, before the init has done anything.
	if spec.Cgroup != "" && cgroups.IsUnified() {
		cg, err := cgroups.Create(spec.Cgroup, limits)
		if err != nil {
			return inst, err
		}
		inst.cgroup = cg
		if dir := cg.Dir(); dir != "" {
			fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return inst, err
			}
			defer unix.Close(fd)
			sys.UseCgroupFD, sys.CgroupFD = true, fd
		}
	}
	files := []uintptr{spec.Stdio[0].Fd(), spec.Stdio[1].Fd(), spec.Stdio[2].Fd(), child.Fd()}
	if spec.JoinNetns != nil {
		files = append(files, spec.JoinNetns.Fd()) // fd 4 in the init
	}
	// syscall.ForkExec rather than os.StartProcess: the latter first forks
	// a throwaway child once per process to probe for pidfd support, a
	// millisecond here; the pidfd comes from the clone itself.
	pidfd := -1
	sys.PidFD = &pidfd
	pid, err := syscall.ForkExec("/proc/self/fd/"+strconv.Itoa(int(bin.Fd())), []string{initArg0},
		&syscall.ProcAttr{Env: initEnv, Files: files, Sys: sys})
	runtime.KeepAlive(spec.Stdio)
	runtime.KeepAlive(spec.JoinNetns)
	if err != nil {
		return inst, fmt.Errorf("start init: %w", err)
	}
	inst.pid, inst.pidfd = pid, pidfd
	// The init's runtime starts up meanwhile: what it needs from the host
	// is done now, in parallel.
	if spec.Cgroup != "" && inst.cgroup == nil {
		cg, err := cgroups.Create(spec.Cgroup, limits)
		if err != nil {
			return inst, err
		}
		inst.cgroup = cg
	}
	if inst.cgroup != nil && inst.cgroup.Dir() == "" {
		if err := inst.cgroup.Add(inst.pid); err != nil {
			return inst, err
		}
	}
	if ns, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/mnt"); err == nil {
		inst.mountNS = ns
	}
	if spec.EtcDir != "" {
		// The init binds these before networking is wired; wire rewrites
		// them in place with the addresses.
		if err := writeEtcFiles(spec.EtcDir, cfg, nil, spec.Hooks.DNS != nil && mode != "host" && mode != "none"); err != nil {
			return inst, err
		}
	}
	icfg := &initConfig{
		RootfsDir: spec.RootfsDir, Rootfs: cfg.Rootfs, Mounts: append(append([]Mount(nil), cfg.Mounts...), spec.Mounts...),
		Hostname: cfg.Hostname, Domainname: cfg.Domainname, Process: cfg.Process, NoInit: cfg.NoInit,
		Privileged: cfg.Security.Privileged, Caps: caps, NoNewPrivileges: cfg.Security.NoNewPrivileges,
		Seccomp:        !cfg.Security.Privileged && cfg.Security.Seccomp != "unconfined",
		SeccompProfile: cfg.Security.SeccompProfile,
		Loopback:       ownNetwork, CgroupNS: inst.cgroup != nil, JoinNetns: spec.JoinNetns != nil,
	}
	if err := sendMessage(inst.sock, message{Type: msgConfig, Config: icfg}); err != nil {
		return inst, fmt.Errorf("configure init: %w", err)
	}
	// While the init builds the container's world, the caller sets itself
	// up and networking is wired: the network namespace exists since the
	// clone, and the files the init binds are rewritten in place.
	ready := make(chan error, 1)
	go func() {
		var err error
		if spec.WhileStarting != nil {
			err = spec.WhileStarting()
		}
		if err == nil {
			err = inst.wire(ctx, spec)
		}
		ready <- err
	}()
	// The init reports ready once its world is built, with its threads all
	// there, which the pids limit needs to know.
	if m, _, err := recvMessage(inst.sock); err != nil || m.Type != msgReady {
		if err == nil && m.Type == msgError {
			err = errors.New(m.Error)
		}
		<-ready // the caller's clean-up must not race the wiring
		return inst, fmt.Errorf("init: %w", inst.exitError(err))
	}
	if err := <-ready; err != nil {
		return inst, err
	}
	if err := inst.limitPids(cfg.Resources.PidsLimit); err != nil {
		return inst, err
	}
	if err := sendMessage(inst.sock, message{Type: msgStart}); err != nil {
		return inst, fmt.Errorf("start init: %w", err)
	}
	m, fds, err := recvMessage(inst.sock)
	if err != nil {
		return inst, fmt.Errorf("init: %w", inst.exitError(err))
	}
	if m.Type == msgError {
		return inst, fmt.Errorf("init: %s", m.Error)
	}
	if len(fds) > 0 {
		inst.master = os.NewFile(uintptr(fds[0]), "pty-master")
		closeAll(fds[1:])
	}
	go inst.readMessages()
	return inst, nil
}

// exitError explains a lost init: it usually printed why on stderr.
func (inst *instance) exitError(err error) error {
	if errors.Is(err, errPeerGone) {
		return errors.New("exited before the main process started (see the container's output)")
	}
	return err
}

// wire runs the networking hooks while the init waits.
func (inst *instance) wire(ctx context.Context, spec launchSpec) error {
	cfg := spec.Config
	var ifaces []Interface
	h := spec.Hooks
	if cfg.Network.Mode != "host" && cfg.Network.Mode != "none" && spec.JoinNetns == nil {
		if h.Network != nil {
			var err error
			ifaces, err = h.Network.Attach(ctx, cfg.ID, cfg.Network, inst.pid)
			if err != nil {
				return fmt.Errorf("network: %w", err)
			}
		}
		if h.DNS != nil {
			netns, err := os.Open("/proc/" + strconv.Itoa(inst.pid) + "/ns/net")
			if err != nil {
				return err
			}
			inst.netns = netns
			dnsCtx, cancel := context.WithCancel(context.Background())
			inst.closers = append(inst.closers, closerFunc(func() error { cancel(); return nil }))
			go h.DNS.Serve(dnsCtx, cfg.ID, cfg.Network, ifaces, netns)
		}
		if h.Ports != nil && len(cfg.Network.Ports) > 0 {
			bound, c, err := h.Ports.Publish(ctx, cfg.ID, cfg.Network.Ports, ifaces)
			if err != nil {
				return fmt.Errorf("ports: %w", err)
			}
			inst.closers = append(inst.closers, c)
			inst.ports = bound
		}
	}
	// Without addresses the files launch wrote before the init bound them
	// are already what they must be; with them, only hosts changes.
	if spec.EtcDir != "" && len(ifaces) > 0 {
		return writeEtcHosts(spec.EtcDir, cfg, ifaces)
	}
	return nil
}

// limitPids applies the pids limit to the container's own processes: the
// init is a Go program whose threads count as tasks too, so they are added
// to the limit, with room for the few the runtime may start later.
func (inst *instance) limitPids(limit int64) error {
	if limit <= 0 || inst.cgroup == nil {
		return nil
	}
	const initThreadSlack = 4
	return inst.cgroup.SetPidsMax(limit + int64(threadCount(inst.pid)) + initThreadSlack)
}

func threadCount(pid int) int {
	entries, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return 1
	}
	return len(entries)
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// readMessages dispatches the init's messages to whoever waits for them.
func (inst *instance) readMessages() {
	defer close(inst.done)
	for {
		m, fds, err := recvMessage(inst.sock)
		if err != nil {
			if errors.Is(err, unix.EBADMSG) {
				continue
			}
			inst.mu.Lock()
			for id, ch := range inst.waiters {
				close(ch)
				delete(inst.waiters, id)
			}
			inst.mu.Unlock()
			return
		}
		inst.mu.Lock()
		ch := inst.waiters[m.ID]
		inst.mu.Unlock()
		if ch == nil || m.ID == 0 {
			closeAll(fds)
			continue
		}
		ch <- reply{m, fds}
		if m.Type == msgExited || m.Type == msgError {
			inst.mu.Lock()
			delete(inst.waiters, m.ID)
			inst.mu.Unlock()
			close(ch)
		}
	}
}

// reply is a message from the init with the descriptors that came along.
type reply struct {
	msg message
	fds []int
}

// initEnv is the init's whole environment. One P keeps the init's
// threads, which count against the pids limit, and its memory few; without
// asynchronous preemption the runtime sends itself no SIGURG, which the
// init would otherwise take for a signal to forward.
var initEnv = []string{"GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1"}

// kill ends the container and releases what the monitor holds for it.
func (inst *instance) kill() {
	inst.sendSignal(unix.SIGKILL)
	inst.release()
}

// sendSignal signals the init, unless it has been reaped.
func (inst *instance) sendSignal(sig unix.Signal) {
	inst.pidMu.Lock()
	defer inst.pidMu.Unlock()
	if inst.pidfd >= 0 {
		unix.PidfdSendSignal(inst.pidfd, sig, nil, 0)
	}
}

// takeMountNS hands over the handle on the container's mount namespace,
// taken when the init started. While it is open, the exit of the init
// leaves the namespace's mounts alone; tearing them down (overlay, proc,
// dev, binds) costs an RCU grace period or more, which the caller can pay
// after the exit is reported rather than before. Nil if there is none.
func (inst *instance) takeMountNS() *os.File {
	ns := inst.mountNS
	inst.mountNS = nil
	return ns
}

// release closes the monitor's side after the init has exited; it
// reports whether the container's cgroup is gone (or it had none).
func (inst *instance) release() (cgroupGone bool) {
	if inst.mountNS != nil {
		inst.mountNS.Close()
		inst.mountNS = nil
	}
	for _, c := range inst.closers {
		c.Close()
	}
	inst.closers = nil
	if inst.netns != nil {
		inst.netns.Close()
		inst.netns = nil
	}
	if inst.master != nil {
		inst.master.Close()
		inst.master = nil
	}
	inst.mu.Lock()
	if inst.sock >= 0 {
		unix.Close(inst.sock)
		inst.sock = -1
	}
	inst.mu.Unlock()
	if inst.cgroup != nil {
		return inst.cgroup.Destroy() == nil
	}
	return true
}

// wait waits for the init and returns the container's exit code.
func (inst *instance) wait() int {
	defer close(inst.exitCh)
	// Only the monitor can reap its child, so the pid stays its own until
	// then; the pidfd is closed under the lock sendSignal takes.
	var ws unix.WaitStatus
	var err error
	for {
		_, err = unix.Wait4(inst.pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	inst.pidMu.Lock()
	if inst.pidfd >= 0 {
		unix.Close(inst.pidfd)
		inst.pidfd = -1
	}
	inst.pidMu.Unlock()
	if err != nil {
		inst.code = 255
		return inst.code
	}
	inst.code = exitStatusOf(ws)
	return inst.code
}

// exited is closed once wait has returned.
func (inst *instance) exited() <-chan struct{} { return inst.exitCh }

// exec asks the init to start p; stdio are the process's stdin, stdout and
// stderr, -1 for the container's /dev/null (all ignored with a terminal). The channel carries the init's started
// or error message, then the exited one; it is closed if the init goes away.
func (inst *instance) exec(p Process, stdio [3]int) (int, <-chan reply, error) {
	mask := 0
	var fds []int
	for i, fd := range stdio {
		if fd >= 0 {
			mask |= 1 << i
			fds = append(fds, fd)
		}
	}
	inst.mu.Lock()
	id := inst.nextID
	inst.nextID++
	ch := make(chan reply, 2)
	inst.waiters[id] = ch
	sock := inst.sock
	inst.mu.Unlock()
	if err := sendMessage(sock, message{Type: msgExec, ID: id, Process: &p, Stdio: mask}, fds...); err != nil {
		inst.forget(id)
		return 0, nil, fmt.Errorf("exec: %w", err)
	}
	return id, ch, nil
}

func (inst *instance) forget(id int) {
	inst.mu.Lock()
	delete(inst.waiters, id)
	inst.mu.Unlock()
}

// signal sends sig to the exec'd process id.
func (inst *instance) signal(id int, sig unix.Signal) {
	inst.mu.Lock()
	sock := inst.sock
	inst.mu.Unlock()
	sendMessage(sock, message{Type: msgSignal, ID: id, Signal: int(sig)})
}
