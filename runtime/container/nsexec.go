package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"stack/runtime/seccomp"
)

// nsExecArg0 is how a monitor starts the helper that runs an exec in a
// container without our init (--no-init): there is no init to ask, so the
// helper joins the main process's namespaces itself.
const nsExecArg0 = "stack-nsexec"

// nsExecSocketFd is the helper's socket to its monitor; fds 0 to 2 are the
// process's stdio where nsExecConfig.Stdio says so.
const nsExecSocketFd = 3

// nsExecConfig is the one message a monitor sends its helper, with the
// descriptors of the namespaces to join, in the order of Namespaces.
type nsExecConfig struct {
	Namespaces      []string        `json:"namespaces"`
	Process         Process         `json:"process"`
	Stdio           int             `json:"stdio"` // as message.Stdio: which of fds 0, 1, 2 are the caller's
	Hostname        string          `json:"hostname,omitempty"`
	Caps            []string        `json:"caps"`
	NoNewPrivileges bool            `json:"noNewPrivileges,omitempty"`
	Seccomp         bool            `json:"seccomp,omitempty"`
	SeccompProfile  json.RawMessage `json:"seccompProfile,omitempty"`
}

// nsTypes are the namespaces the helper joins, by their /proc/PID/ns name.
var nsTypes = map[string]int{
	"ipc": unix.CLONE_NEWIPC, "uts": unix.CLONE_NEWUTS, "net": unix.CLONE_NEWNET,
	"cgroup": unix.CLONE_NEWCGROUP, "pid": unix.CLONE_NEWPID, "mnt": unix.CLONE_NEWNS,
}

// nsOrder is the order of joining: the mount namespace last, so that the
// others are joined with the host's view of the file system.
var nsOrder = []string{"ipc", "uts", "net", "cgroup", "pid", "mnt"}

// The helper is recognized in a package initializer, before cmd/stack's
// main and before a test binary's TestMain, so that neither needs to know
// about it and it pays for nothing else: a string comparison otherwise.
func init() {
	if len(os.Args) > 0 && os.Args[0] == nsExecArg0 {
		nsExecMain()
	}
}

// nsExecMain runs the helper and never returns: it reports the process's
// start, waits for it, and reports its exit status.
func nsExecMain() {
	closeInheritedFds(nsExecSocketFd)
	unix.CloseOnExec(nsExecSocketFd)
	// Non-dumpable, so that the container's processes cannot reach the
	// helper's memory or executable through /proc in the short time its
	// child runs this binary before exec.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	pid, err := nsExecStart()
	if err != nil {
		sendMessage(nsExecSocketFd, message{Type: msgError, Error: err.Error()})
		os.Exit(127)
	}
	go forwardSignals(pid)
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	status := 255
	if err == nil {
		status = exitStatusOf(ws)
	}
	sendMessage(nsExecSocketFd, message{Type: msgExited, Status: status})
	os.Exit(0)
}

// forwardSignals passes the monitor's signal requests on to the process:
// the init's protocol, so that a healthcheck's timeout can kill it.
func forwardSignals(pid int) {
	for {
		m, fds, err := recvMessage(nsExecSocketFd)
		closeAll(fds)
		if errors.Is(err, unix.EBADMSG) {
			continue
		}
		if err != nil {
			return
		}
		if m.Type == msgSignal {
			unix.Kill(pid, unix.Signal(m.Signal))
		}
	}
}

// nsExecStart reads the configuration and starts the process from a
// thread of its own, confined and in the container's namespaces; the
// thread ends with its goroutine, so nothing else runs with its settings.
func nsExecStart() (int, error) {
	var cfg nsExecConfig
	fds, err := recvJSON(nsExecSocketFd, &cfg)
	if err != nil {
		return 0, fmt.Errorf("exec: read the monitor's request: %w", err)
	}
	if len(fds) != len(cfg.Namespaces) {
		closeAll(fds)
		return 0, fmt.Errorf("exec: %d namespaces named, %d received", len(cfg.Namespaces), len(fds))
	}
	var filter seccomp.Filter
	if cfg.Seccomp {
		if filter, err = seccompFilter(cfg.SeccompProfile, cfg.Caps); err != nil {
			closeAll(fds)
			return 0, err
		}
	}
	last := lastCap()
	type result struct {
		pid    int
		master *os.File
		err    error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		pid, master, err := cfg.enter(fds, filter, last)
		done <- result{pid, master, err}
	}()
	r := <-done
	if r.err != nil {
		return 0, r.err
	}
	m := message{Type: msgStarted, Pid: containerPid(r.pid)}
	if r.master != nil {
		sendMessage(nsExecSocketFd, m, int(r.master.Fd()))
		r.master.Close()
	} else {
		sendMessage(nsExecSocketFd, m)
	}
	return r.pid, nil
}

// enter joins the namespaces, confines the calling thread as the init
// confines itself, and starts the process, which is in the container's
// PID namespace because it is forked after joining it.
func (cfg *nsExecConfig) enter(fds []int, filter seccomp.Filter, last int) (int, *os.File, error) {
	defer closeAll(fds)
	// The Go runtime's threads share one fs_struct, which setns into a
	// mount namespace refuses: this thread gets its own.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return 0, nil, fmt.Errorf("exec: unshare fs: %w", err)
	}
	byName := map[string]int{}
	for i, name := range cfg.Namespaces {
		byName[name] = fds[i]
	}
	for _, name := range nsOrder {
		fd, ok := byName[name]
		if !ok {
			continue
		}
		if err := unix.Setns(fd, nsTypes[name]); err != nil {
			return 0, nil, fmt.Errorf("exec: join %s namespace: %w", name, err)
		}
	}
	if err := setRlimits(cfg.Process.Rlimits); err != nil {
		return 0, nil, err
	}
	if cfg.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return 0, nil, fmt.Errorf("no_new_privs: %w", err)
		}
	}
	if filter != nil {
		if err := seccomp.InstallThread(filter); err != nil {
			return 0, nil, err
		}
	}
	if err := limitCaps(cfg.Caps, last); err != nil {
		return 0, nil, err
	}
	stdio := [3]int{-1, -1, -1}
	for i := range stdio {
		if cfg.Stdio&(1<<i) != 0 {
			stdio[i] = i
		}
	}
	spawner := &initProcess{cfg: &initConfig{Hostname: cfg.Hostname}}
	return spawner.spawn(cfg.Process, stdio)
}

// containerPid is pid as the container's PID namespace numbers it.
func containerPid(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return pid
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			fields := strings.Fields(rest)
			if n, err := strconv.Atoi(fields[len(fields)-1]); err == nil {
				return n
			}
		}
	}
	return pid
}

// sendJSON and recvJSON carry one JSON value per packet of a
// SOCK_SEQPACKET socket, with descriptors as SCM_RIGHTS.
func sendJSON(fd int, v any, fds ...int) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	for {
		if err = unix.Sendmsg(fd, data, oob, nil, 0); err != unix.EINTR {
			return err
		}
	}
}

func recvJSON(fd int, v any) ([]int, error) {
	size, err := nextPacketLen(fd)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, errPeerGone
	}
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4*len(nsTypes)))
	var n, oobn int
	for {
		n, oobn, _, _, err = unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errPeerGone
	}
	var fds []int
	scms, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	for _, scm := range scms {
		if got, err := unix.ParseUnixRights(&scm); err == nil {
			fds = append(fds, got...)
		}
	}
	if err := json.Unmarshal(buf[:n], v); err != nil {
		closeAll(fds)
		return nil, errors.Join(errors.New("bad request"), err)
	}
	return fds, nil
}
