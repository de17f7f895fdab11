package container

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// startExec starts p in the running container: through its init, or, for
// a container without one, through a helper that joins the namespaces of
// its main process. The channel carries the started (or error) message,
// then the exited one, as instance.exec's does; the ID is for signalExec.
func (m *monitor) startExec(inst *instance, p Process, stdio [3]int) (int, <-chan reply, error) {
	if !m.c.NoInit {
		return inst.exec(p, stdio)
	}
	return m.nsExec(inst, p, stdio)
}

// signalExec sends sig to the process that startExec started as id.
func (m *monitor) signalExec(inst *instance, id int, sig unix.Signal) {
	if id > 0 {
		inst.signal(id, sig)
		return
	}
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	if sock, ok := helpers.socks[id]; ok {
		sendMessage(sock, message{Type: msgSignal, Signal: int(sig)})
	}
}

// helpers are the sockets of the running helpers, by exec ID: negative,
// so as not to meet the init's.
var helpers = struct {
	mu    sync.Mutex
	last  int
	socks map[int]int
}{socks: map[int]int{}}

func addHelper(sock int) int {
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	helpers.last--
	helpers.socks[helpers.last] = sock
	return helpers.last
}

// closeHelper forgets the helper id and closes its socket, under the lock
// that signalExec holds, so that no signal goes to a reused descriptor.
func closeHelper(id int) {
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	unix.Close(helpers.socks[id])
	delete(helpers.socks, id)
}

// nsExec starts the helper (see nsExecMain) from the sealed copy of the
// binary that the init runs from, in the container's cgroup.
func (m *monitor) nsExec(inst *instance, p Process, stdio [3]int) (int, <-chan reply, error) {
	bin, err := sealedSelf(m.store.runRoot)
	if err != nil {
		return 0, nil, err
	}
	caps, err := EffectiveCaps(m.c.Security)
	if err != nil {
		return 0, nil, err
	}
	if len(p.Rlimits) == 0 {
		p.Rlimits = m.c.Process.Rlimits
	}
	cfg := nsExecConfig{
		Process: p, Hostname: m.c.Hostname, Caps: caps, NoNewPrivileges: m.c.Security.NoNewPrivileges,
		Seccomp:        !m.c.Security.Privileged && m.c.Security.Seccomp != "unconfined",
		SeccompProfile: m.c.Security.SeccompProfile,
	}
	var nsFds []int
	defer func() { closeAll(nsFds) }()
	for _, name := range nsOrder {
		fd, err := unix.Open("/proc/"+strconv.Itoa(inst.pid)+"/ns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) && name == "cgroup" {
			continue // a kernel without cgroup namespaces
		}
		if err != nil {
			return 0, nil, fmt.Errorf("exec: namespace %s of the container: %w", name, err)
		}
		nsFds, cfg.Namespaces = append(nsFds, fd), append(cfg.Namespaces, name)
	}
	for i, fd := range stdio {
		if fd >= 0 {
			cfg.Stdio |= 1 << i
		}
	}
	pid, sock, err := m.startNsExecHelper(inst, bin, stdio)
	if err != nil {
		return 0, nil, err
	}
	if err := sendJSON(sock, cfg, nsFds...); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		reapHelper(pid)
		unix.Close(sock)
		return 0, nil, fmt.Errorf("exec: %w", err)
	}
	id := addHelper(sock)
	ch := make(chan reply, 2)
	go relayNsExec(id, pid, sock, ch)
	return id, ch, nil
}

// startNsExecHelper starts the helper with stdio as its fds 0 to 2 (the
// host's /dev/null for -1: the helper gives the process the container's
// own) and returns its pid and the monitor's end of its socket.
func (m *monitor) startNsExecHelper(inst *instance, bin *os.File, stdio [3]int) (pid, sock int, err error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, -1, err
	}
	defer unix.Close(pair[1])
	defer func() {
		if err != nil {
			unix.Close(pair[0])
		}
	}()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, -1, err
	}
	defer null.Close()
	files := []uintptr{null.Fd(), null.Fd(), null.Fd(), uintptr(pair[1])}
	for i, fd := range stdio {
		if fd >= 0 {
			files[i] = uintptr(fd)
		}
	}
	sys := &syscall.SysProcAttr{Pdeathsig: unix.SIGKILL}
	if inst.cgroup != nil && inst.cgroup.Dir() != "" {
		fd, err := unix.Open(inst.cgroup.Dir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return 0, -1, err
		}
		defer unix.Close(fd)
		sys.UseCgroupFD, sys.CgroupFD = true, fd
	}
	pid, err = syscall.ForkExec("/proc/self/fd/"+strconv.Itoa(int(bin.Fd())), []string{nsExecArg0},
		&syscall.ProcAttr{Env: []string{"GOMAXPROCS=1"}, Files: files, Sys: sys})
	if err != nil {
		return 0, -1, fmt.Errorf("exec: start helper: %w", err)
	}
	if inst.cgroup != nil && inst.cgroup.Dir() == "" {
		// cgroup v1: the helper waits for its request, so nothing it
		// starts can be outside the container's cgroup.
		if err := inst.cgroup.Add(pid); err != nil {
			unix.Kill(pid, unix.SIGKILL)
			reapHelper(pid)
			return 0, -1, fmt.Errorf("exec: %w", err)
		}
	}
	return pid, pair[0], nil
}

func reapHelper(pid int) {
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}

// relayNsExec passes the helper's messages on until it has exited.
func relayNsExec(id, pid, sock int, ch chan<- reply) {
	defer close(ch)
	defer closeHelper(id)
	defer reapHelper(pid)
	started := false
	for {
		msg, fds, err := recvMessage(sock)
		if errors.Is(err, unix.EBADMSG) {
			continue
		}
		if err != nil {
			if !started {
				ch <- reply{msg: message{Type: msgError, Error: "exec: the helper exited before starting the process"}}
			}
			return
		}
		started = true
		ch <- reply{msg, fds}
		if msg.Type == msgExited || msg.Type == msgError {
			return
		}
	}
}
