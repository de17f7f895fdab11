package container

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// spawn starts p inside the container from the init's thread, so the child
// inherits the init's namespaces, capabilities, no_new_privs and seccomp
// filter. stdio entries of -1 become the container's /dev/null. With a
// terminal, the child gets the slave side of a pty of the container's own
// devpts and the master is returned for the monitor.
func (in *initProcess) spawn(p Process, stdio [3]int) (int, *os.File, error) {
	return in.spawnPidfd(p, stdio, nil)
}

// spawnPidfd is spawn; with pidfd set, it receives a pidfd of the child.
func (in *initProcess) spawnPidfd(p Process, stdio [3]int, pidfd *int) (int, *os.File, error) {
	argv0, env, u, err := resolveProcess(p, in.cfg.Hostname)
	if err != nil {
		return 0, nil, err
	}
	sys := &syscall.SysProcAttr{Setsid: true, PidFD: pidfd}
	if u.UID != 0 || u.GID != 0 || len(u.Groups) > 1 {
		sys.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: u.Groups}
	}
	var master *os.File
	files := make([]uintptr, 3)
	if p.Terminal {
		m, slave, err := openPty()
		if err != nil {
			return 0, nil, err
		}
		defer slave.Close()
		master = m
		for i := range files {
			files[i] = slave.Fd()
		}
		sys.Setctty, sys.Ctty = true, 0
	} else {
		var null *os.File
		for i, fd := range stdio {
			if fd < 0 {
				if null == nil {
					if null, err = os.OpenFile("/dev/null", os.O_RDWR, 0); err != nil {
						return 0, nil, err
					}
					defer null.Close()
				}
				fd = int(null.Fd())
			}
			files[i] = uintptr(fd)
		}
	}
	pid, err := syscall.ForkExec(argv0, p.Args, &syscall.ProcAttr{
		Dir: cwdOf(p), Env: env, Files: files, Sys: sys,
	})
	if err != nil {
		if master != nil {
			master.Close()
		}
		return 0, nil, fmt.Errorf("exec %s: %w", p.Args[0], err)
	}
	return pid, master, nil
}

// openPty opens a pseudo-terminal pair on the container's /dev/ptmx.
func openPty() (*os.File, *os.File, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("open pty slave: %w", err)
	}
	return m, s, nil
}

// switchUser changes the credentials of the whole init (--no-init only).
func switchUser(u execUser) error {
	groups := make([]int, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil && len(groups) > 0 {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(int(u.GID)); err != nil {
		return fmt.Errorf("setgid %d: %w", u.GID, err)
	}
	if err := syscall.Setuid(int(u.UID)); err != nil {
		return fmt.Errorf("setuid %d: %w", u.UID, err)
	}
	return nil
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback up: %w", err)
	}
	return nil
}

var rlimitNames = map[string]int{
	"core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
	"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK,
	"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE,
	"nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO,
	"rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
	"as": unix.RLIMIT_AS,
}

func setRlimits(limits []Rlimit) error {
	for _, l := range limits {
		res, ok := rlimitNames[l.Name]
		if !ok {
			return fmt.Errorf("ulimit %q: unknown resource", l.Name)
		}
		// syscall.Setrlimit also tells the Go runtime not to restore its own
		// idea of RLIMIT_NOFILE in the processes it starts.
		if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: l.Soft, Max: l.Hard}); err != nil {
			return fmt.Errorf("ulimit %s=%d:%d: %w", l.Name, l.Soft, l.Hard, err)
		}
	}
	return nil
}
