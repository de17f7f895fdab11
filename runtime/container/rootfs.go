package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Docker's masked and read-only paths: kernel interfaces that leak host
// information or let a container change host settings.
var (
	maskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
		"/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

type deviceNode struct {
	name         string
	major, minor uint32
}

var devices = []deviceNode{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
}

var devLinks = [][2]string{
	{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
	{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
}

// setupRootfs builds the container's file system tree at cfg.RootfsDir and
// makes it the root. It runs in the init, in the new mount namespace.
func setupRootfs(cfg *initConfig) error {
	// Nothing done from here on may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("make / a slave mount: %w", err)
	}
	root := cfg.RootfsDir
	if err := mountOverlay(cfg.Rootfs, root); err != nil {
		return err
	}
	steps := []func(string, *initConfig) error{mountKernelFS, mountDev, mountUser}
	if !cfg.Privileged {
		steps = append(steps, maskPaths)
	}
	for _, step := range steps {
		if err := step(root, cfg); err != nil {
			return err
		}
	}
	if err := pivotRoot(root); err != nil {
		return err
	}
	if cfg.Rootfs.ReadOnly {
		if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("remount / read-only: %w", err)
		}
	}
	return nil
}

// mountOverlay uses the new mount API so that any number of layers fit:
// mount(2)'s data page limits lowerdir to about 4 KiB of paths.
func mountOverlay(r Rootfs, target string) error {
	if len(r.Lower) == 1 && r.Upper == "" {
		// A single read-only layer needs no overlay.
		if err := unix.Mount(r.Lower[0], target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind rootfs %s: %w", r.Lower[0], err)
		}
		return nil
	}
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("overlay: fsopen: %w", err)
	}
	defer unix.Close(fsfd)
	set := func(key, value string) error {
		if err := unix.FsconfigSetString(fsfd, key, value); err != nil {
			return fmt.Errorf("overlay: %s=%s: %w", key, value, err)
		}
		return nil
	}
	for _, l := range r.Lower {
		if err := set("lowerdir+", l); err != nil {
			return err
		}
	}
	if r.Upper != "" {
		if err := set("upperdir", r.Upper); err != nil {
			return err
		}
		if err := set("workdir", r.Work); err != nil {
			return err
		}
		// Keep every change inside the upper directory itself, so that the
		// builder can commit it as a layer (see runtime/image's Mount).
		for _, f := range [][2]string{{"redirect_dir", "off"}, {"index", "off"}, {"metacopy", "off"}} {
			set(f[0], f[1]) // a kernel without the feature has it off anyway
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("overlay: create: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("overlay: fsmount: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("overlay: move to %s: %w", target, err)
	}
	return nil
}

func mountKernelFS(root string, cfg *initConfig) error {
	const std = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	for _, dir := range []string{"/proc", "/sys"} {
		if err := mkdirInRoot(root, dir); err != nil {
			return err
		}
	}
	if err := mountAt(root, "/proc", "proc", "proc", std, ""); err != nil {
		return err
	}
	sysFlags := uintptr(std)
	if !cfg.Privileged {
		sysFlags |= unix.MS_RDONLY
	}
	if err := mountAt(root, "/sys", "sysfs", "sysfs", sysFlags, ""); err != nil {
		// Without its own network namespace the container may not mount a
		// fresh sysfs; a read-only recursive bind of the host's is the same view.
		if err := mountAt(root, "/sys", "/sys", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return err
		}
		if err := remountAt(root, "/sys", sysFlags); err != nil {
			return err
		}
	}
	return nil
}

func mountDev(root string, cfg *initConfig) error {
	if err := mkdirInRoot(root, "/dev"); err != nil {
		return err
	}
	if err := mountAt(root, "/dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	dev := filepath.Join(root, "dev") // a fresh tmpfs: no symlink can be in the way
	for _, d := range devices {
		path := filepath.Join(dev, d.name)
		if err := unix.Mknod(path, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return fmt.Errorf("mknod %s: %w", path, err)
		}
		if err := unix.Chmod(path, 0o666); err != nil { // past the umask
			return err
		}
	}
	for _, l := range devLinks {
		if err := os.Symlink(l[0], filepath.Join(dev, l[1])); err != nil {
			return err
		}
	}
	if cfg.Privileged {
		if err := copyHostDevices("/dev", dev); err != nil {
			return err
		}
	}
	for _, m := range []struct{ dir, fstype, data string }{
		{"pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"shm", "tmpfs", "mode=1777,size=65536k"},
		{"mqueue", "mqueue", ""},
	} {
		path := filepath.Join(dev, m.dir)
		if err := os.Mkdir(path, 0o755); err != nil {
			return err
		}
		flags := uintptr(unix.MS_NOSUID | unix.MS_NOEXEC)
		if m.fstype != "devpts" {
			flags |= unix.MS_NODEV
		}
		if err := unix.Mount(m.fstype, path, m.fstype, flags, m.data); err != nil {
			return fmt.Errorf("mount %s on /dev/%s: %w", m.fstype, m.dir, err)
		}
	}
	return nil
}

// hostDevSkip are the parts of the host's /dev a privileged container does
// not get: its own pts, shm and mqueue are mounted over them, and the
// console is the container's own.
var hostDevSkip = map[string]bool{"pts": true, "shm": true, "mqueue": true, "fd": true, "console": true}

// copyHostDevices recreates every character and block device of the host's
// /dev (still visible at from: the init has not pivoted yet) in the
// container's /dev, as Docker does for --privileged. Nodes are made with
// mknod rather than bind mounted: a host has hundreds of them and a mount
// each would slow every start and swell the container's mount table; the
// runtime sets no device cgroup rules, so a node is as good as a bind.
// Names the container already has are kept.
func copyHostDevices(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return fmt.Errorf("privileged: read %s: %w", from, err)
	}
	for _, e := range entries {
		if hostDevSkip[e.Name()] && from == "/dev" {
			continue
		}
		src, dst := filepath.Join(from, e.Name()), filepath.Join(to, e.Name())
		var st unix.Stat_t
		if err := unix.Lstat(src, &st); err != nil {
			continue // gone since the listing
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if err := os.Mkdir(dst, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("privileged: %w", err)
			}
			if err := copyHostDevices(src, dst); err != nil {
				return err
			}
		case unix.S_IFCHR, unix.S_IFBLK:
			err := unix.Mknod(dst, st.Mode, int(st.Rdev))
			if errors.Is(err, unix.EEXIST) {
				continue
			}
			if err != nil {
				return fmt.Errorf("privileged: mknod %s: %w", dst, err)
			}
			// mknod applied the umask; the owner and mode are the host's.
			unix.Chmod(dst, st.Mode&0o7777)
			unix.Lchown(dst, int(st.Uid), int(st.Gid))
		}
	}
	return nil
}

// mountUser adds bind and tmpfs mounts, parents before children.
func mountUser(root string, cfg *initConfig) error {
	mounts := append([]Mount(nil), cfg.Mounts...)
	sort.SliceStable(mounts, func(i, j int) bool {
		return strings.Count(filepath.Clean(mounts[i].Target), "/") < strings.Count(filepath.Clean(mounts[j].Target), "/")
	})
	for _, m := range mounts {
		var err error
		switch m.Type {
		case "tmpfs":
			err = mountTmpfs(root, m)
		case "device":
			err = makeDevice(root, m)
		default:
			err = mountBind(root, m)
		}
		if err != nil {
			return fmt.Errorf("mount %s: %w", m.Target, err)
		}
	}
	return nil
}

// makeDevice makes a node of the host's device m.Source at m.Target, with
// the host node's mode and owner; like the nodes of --privileged, it is made
// rather than bound (see copyHostDevices). A node already there is replaced.
func makeDevice(root string, m Mount) error {
	var st unix.Stat_t
	if err := unix.Stat(m.Source, &st); err != nil {
		return fmt.Errorf("device: %w", err)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFCHR && t != unix.S_IFBLK {
		return fmt.Errorf("device %s: not a character or block device", m.Source)
	}
	if err := mkdirInRoot(root, filepath.Dir(m.Target)); err != nil {
		return err
	}
	parent, err := openInRoot(root, filepath.Dir(m.Target), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	name := filepath.Base(m.Target)
	if err := unix.Unlinkat(parent, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("device %s: replace %s: %w", m.Source, m.Target, err)
	}
	if err := unix.Mknodat(parent, name, st.Mode, int(st.Rdev)); err != nil {
		return fmt.Errorf("device %s: %w", m.Source, err)
	}
	// The umask applied to mknod; the mode and owner are the host's. The
	// node was just made by name in a directory resolved inside the root.
	if err := unix.Fchmodat(parent, name, st.Mode&0o7777, 0); err != nil {
		return err
	}
	return unix.Fchownat(parent, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)
}

func mountTmpfs(root string, m Mount) error {
	if err := mkdirInRoot(root, m.Target); err != nil {
		return err
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
	if m.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	return mountAt(root, m.Target, "tmpfs", "tmpfs", flags, strings.Join(m.Options, ","))
}

func mountBind(root string, m Mount) error {
	st, err := os.Stat(m.Source)
	if err != nil {
		return err
	}
	if st.IsDir() {
		err = mkdirInRoot(root, m.Target)
	} else {
		err = touchInRoot(root, m.Target)
	}
	if err != nil {
		return err
	}
	if err := mountAt(root, m.Target, m.Source, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if m.ReadOnly {
		return remountAt(root, m.Target, unix.MS_RDONLY)
	}
	return nil
}

func maskPaths(root string, _ *initConfig) error {
	devNull := filepath.Join(root, "dev/null")
	for _, p := range maskedPaths {
		path := filepath.Join(root, p) // inside the fresh proc and sysfs
		st, err := os.Stat(path)
		if err != nil {
			continue
		}
		if st.IsDir() {
			err = unix.Mount("tmpfs", path, "tmpfs", unix.MS_RDONLY, "size=0")
		} else {
			err = unix.Mount(devNull, path, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	for _, p := range readonlyPaths {
		path := filepath.Join(root, p)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if err := unix.Mount(path, path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("read-only %s: %w", p, err)
		}
		if err := unix.Mount("", path, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("read-only %s: %w", p, err)
		}
	}
	return nil
}

func pivotRoot(root string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(oldRoot)
	newRoot, err := unix.Open(root, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(newRoot)
	if err := unix.Fchdir(newRoot); err != nil {
		return err
	}
	// Stacking the old root under the new one avoids needing a directory
	// for it inside the image.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Fchdir(oldRoot); err != nil {
		return err
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return err
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// mountAt mounts onto root+target, resolving target inside root so that a
// symbolic link in the image cannot redirect the mount onto the host.
func mountAt(root, target, source, fstype string, flags uintptr, data string) error {
	fd, err := openInRoot(root, target, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount(source, procFd(fd), fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", source, target, err)
	}
	return nil
}

func remountAt(root, target string, flags uintptr) error {
	fd, err := openInRoot(root, target, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount("", procFd(fd), "", unix.MS_BIND|unix.MS_REMOUNT|flags, ""); err != nil {
		return fmt.Errorf("remount %s: %w", target, err)
	}
	return nil
}

func procFd(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

func openInRoot(root, path string, flags uint64) (int, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(rfd)
	rel := strings.TrimPrefix(filepath.Clean("/"+path), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{
		Flags: flags | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return -1, fmt.Errorf("open %s in rootfs: %w", path, err)
	}
	return fd, nil
}

// mkdirInRoot is mkdir -p of path inside root, one component at a time so
// that every step resolves inside root.
func mkdirInRoot(root, path string) error {
	cur := "/"
	for _, part := range strings.Split(filepath.Clean(path), "/") {
		if part == "" {
			continue
		}
		parent, err := openInRoot(root, cur, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		err = unix.Mkdirat(parent, part, 0o755)
		unix.Close(parent)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("mkdir %s in rootfs: %w", filepath.Join(cur, part), err)
		}
		cur = filepath.Join(cur, part)
	}
	return nil
}

func touchInRoot(root, path string) error {
	if err := mkdirInRoot(root, filepath.Dir(path)); err != nil {
		return err
	}
	parent, err := openInRoot(root, filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	fd, err := unix.Openat(parent, filepath.Base(path), unix.O_CREAT|unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EISDIR) {
			return nil // an existing link or directory: the mount resolves it in root
		}
		return fmt.Errorf("create %s in rootfs: %w", path, err)
	}
	return unix.Close(fd)
}
