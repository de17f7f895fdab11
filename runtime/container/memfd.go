package container

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

const initSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

var (
	initBinaryMu sync.Mutex
	initBinary   *os.File
)

// initCopy records which monitor holds a sealed copy of which binary, so
// that other monitors can open the same copy through /proc instead of
// making their own: every container's init then shares one set of pages.
type initCopy struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
	Fd    int    `json:"fd"`
	Exe   string `json:"exe"` // identity of the binary copied
}

// sealedSelf returns a sealed memfd copy of our own executable. The init is
// executed from it, so that a container that got hold of /proc/1/exe would
// find an immutable anonymous file instead of the host's stack binary.
// With shareDir set, a live copy made by another monitor of the same binary
// is reused, and a new copy is announced there.
func sealedSelf(shareDir string) (*os.File, error) {
	initBinaryMu.Lock()
	defer initBinaryMu.Unlock()
	if initBinary != nil {
		return initBinary, nil
	}
	exe, err := exeIdentity()
	if err != nil {
		return nil, err
	}
	record := filepath.Join(shareDir, "init-binary.json")
	if shareDir != "" {
		if f := openSharedCopy(record, exe); f != nil {
			initBinary = f
			return f, nil
		}
	}
	f, err := copySelf()
	if err != nil {
		return nil, err
	}
	initBinary = f
	if shareDir != "" {
		writeJSON(record, &initCopy{Pid: os.Getpid(), Start: processStart(os.Getpid()), Fd: int(f.Fd()), Exe: exe})
	}
	return f, nil
}

func exeIdentity() (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d:%d:%d:%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec), nil
}

func openSharedCopy(record, exe string) *os.File {
	var c initCopy
	if readJSON(record, &c) != nil || c.Exe != exe || c.Pid <= 0 || processStart(c.Pid) != c.Start {
		return nil
	}
	f, err := os.OpenFile("/proc/"+strconv.Itoa(c.Pid)+"/fd/"+strconv.Itoa(c.Fd), os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	if err != nil || seals&initSeals != initSeals {
		f.Close()
		return nil
	}
	return f
}

func copySelf() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("stack-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "stack-init")
	if err := copyInKernel(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("copy binary to memfd: %w", err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, initSeals); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal memfd: %w", err)
	}
	return f, nil
}

// copyInKernel copies all of src to dst with sendfile(2), without passing
// the binary's megabytes through user space.
func copyInKernel(dst, src *os.File) error {
	for {
		n, err := unix.Sendfile(int(dst.Fd()), int(src.Fd()), nil, 1<<30)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			// Some file systems cannot sendfile: copy through user space.
			_, err = io.Copy(dst, src)
			return err
		}
		if n == 0 {
			return nil
		}
	}
}
