package container

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const initSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE

var (
	// initImage is the executable the inits and exec helpers run from,
	// given by UseInitBinary; empty for this process's own.
	initImage string

	initBinaryMu sync.Mutex
	initBinary   *os.File
	copying      *copyJob // a copy PrepareStart is making
	handed       *handedCopy
)

// copyJob is a sealed copy in the making: f is complete and sealed once
// done is closed, unless the copy failed.
type copyJob struct {
	f    *os.File
	done chan struct{}
}

// handedCopy is a copy the monitor's starter was still making when it
// started the monitor (see Store.Start): f is to be used once ready has
// reached end of file, if it is sealed by then.
type handedCopy struct {
	f, ready *os.File
}

// initCopy records which monitor holds a sealed copy of which binary, so
// that other monitors can open the same copy through /proc instead of
// making their own: every container's init then shares one set of pages.
type initCopy struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
	Fd    int    `json:"fd"`
	Exe   string `json:"exe"` // identity of the binary copied
}

// sealedFromEnv tells a monitor started from a sealed copy (see
// Store.Start) the identity of the binary the copy was made of, under
// which it announces the copy to later commands.
const sealedFromEnv = "STACK_SEALED_FROM"

// UseInitBinary makes bin, an executable whose main runs InitMain when
// IsInit reports true (cmd/stack-init), what containers' inits and exec
// helpers run from instead of this process's own executable: a small one
// starts in a fraction of the time. bin must stay unchanged; a string
// that is part of the executable (an embedded file) is copied into the
// sealed memfd by the kernel, without being read through this process's
// memory. Call it before anything starts a container; "" changes nothing.
func UseInitBinary(bin string) {
	initBinaryMu.Lock()
	defer initBinaryMu.Unlock()
	initImage = bin
}

// sealedSelf returns a sealed memfd copy of the init binary: the one
// UseInitBinary gave, or else our own executable. The init is executed
// from it, so that a container that got hold of /proc/1/exe would find an
// immutable anonymous file instead of the host's stack binary. With
// shareDir set, a live copy made by another monitor of the same binary is
// reused, and a new copy is announced there. Without an init binary of its
// own, a monitor runs from such a copy itself: then its own executable is
// the copy, and the monitor and its init share the pages of one file.
func sealedSelf(shareDir string) (*os.File, error) {
	return sealedCopy(shareDir, true)
}

// sealedCopy is sealedSelf; a short-lived process that hands the copy on
// does not announce it (announce false), its monitor does.
func sealedCopy(shareDir string, announce bool) (*os.File, error) {
	initBinaryMu.Lock()
	for copying != nil {
		job := copying
		initBinaryMu.Unlock()
		<-job.done
		initBinaryMu.Lock()
	}
	defer initBinaryMu.Unlock()
	if initBinary != nil {
		return initBinary, nil
	}
	f, exe, err := findSealedCopy(shareDir)
	if err != nil {
		return nil, err
	}
	// Processes are executed from it as /proc/self/fd/N; the child moves
	// the fds it is given to 0, 1, 2, ... first, which must not land on N.
	setInitBinary(f)
	f.Close()
	if initBinary == nil {
		return nil, errors.New("sealed copy of the binary: no descriptor above " + strconv.Itoa(highFd))
	}
	fd := int(initBinary.Fd())
	if announce && exe != "" && shareDir != "" {
		writeJSON(filepath.Join(shareDir, "init-binary.json"),
			&initCopy{Pid: os.Getpid(), Start: processStart(os.Getpid()), Fd: fd, Exe: exe})
	}
	return initBinary, nil
}

// highFd is the lowest descriptor the sealed copy may have.
const highFd = 100

// findSealedCopy returns our own executable if it is a sealed copy, a
// live monitor's copy, or a new copy; with the identity of the binary
// copied, under which the copy may be announced ("" if it is shared
// already or its origin is unknown).
func findSealedCopy(shareDir string) (*os.File, string, error) {
	if initImage == "" {
		if f := openSealed("/proc/self/exe"); f != nil {
			return f, os.Getenv(sealedFromEnv), nil
		}
	}
	exe, err := copyIdentity()
	if err != nil {
		return nil, "", err
	}
	if h := handed; h != nil {
		handed = nil
		io.Copy(io.Discard, h.ready) // the starter closes it once the copy is sealed, or dies
		h.ready.Close()
		if f := openSealed("/proc/self/fd/" + strconv.Itoa(int(h.f.Fd()))); f != nil {
			h.f.Close()
			return f, exe, nil
		}
		h.f.Close()
	}
	if shareDir != "" {
		if f := openSharedCopy(filepath.Join(shareDir, "init-binary.json"), exe); f != nil {
			return f, "", nil
		}
	}
	f, err := copySelf()
	if err != nil {
		return nil, "", err
	}
	return f, exe, nil
}

// PrepareStart begins, in the background, what Store.Start of a container
// will need from this process: the sealed copy of the init binary, which
// Store.Start hands to the monitor (or, of the whole binary, runs the
// monitor from). A command calls it first thing, so that making the copy,
// when no running monitor has one to share, overlaps the command's own
// work.
func PrepareStart(runRoot string) {
	go beginCopy(runRoot)
}

// beginCopy finds a live copy to share, or starts making one in the
// background (see startingCopy), unless this process has one or is making
// one already.
func beginCopy(shareDir string) {
	initBinaryMu.Lock()
	defer initBinaryMu.Unlock()
	if initBinary != nil || copying != nil {
		return
	}
	if exe, err := copyIdentity(); err == nil && shareDir != "" {
		if f := openSharedCopy(filepath.Join(shareDir, "init-binary.json"), exe); f != nil {
			setInitBinary(f)
			f.Close()
			return
		}
	}
	f, err := newCopy()
	if err != nil {
		return
	}
	job := &copyJob{f: f, done: make(chan struct{})}
	copying = job
	go func() {
		err := fillCopy(f)
		initBinaryMu.Lock()
		if err == nil && initBinary == nil {
			setInitBinary(f)
		}
		copying = nil
		initBinaryMu.Unlock()
		close(job.done)
	}()
}

// startingCopy returns the sealed copy if this process has one, or else
// the copy PrepareStart is making, which a monitor can take over before
// it is done.
func startingCopy() (*os.File, *copyJob) {
	initBinaryMu.Lock()
	defer initBinaryMu.Unlock()
	return initBinary, copying
}

// setInitBinary makes f, under initBinaryMu, the process's sealed copy.
func setInitBinary(f *os.File) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, highFd)
	if err != nil {
		return
	}
	initBinary = os.NewFile(uintptr(fd), "stack-init")
}

// copyIdentity is the identity under which a copy of the init binary is
// announced to other monitors: that of the init binary UseInitBinary
// gave, which the stack command and the monitor binary both carry, or
// else our own executable's.
func copyIdentity() (string, error) {
	if initImage != "" {
		return "init:" + EmbeddedID(initImage), nil
	}
	return exeIdentity()
}

// EmbeddedID identifies an executable carried as bytes: its size and a
// hash of its first page, which holds its Go build ID (a hash of its
// content).
func EmbeddedID(bin string) string {
	sum := sha256.Sum256([]byte(bin[:min(len(bin), 4096)]))
	return hex.EncodeToString(sum[:8]) + "-" + strconv.Itoa(len(bin))
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
	return openSealed("/proc/" + strconv.Itoa(c.Pid) + "/fd/" + strconv.Itoa(c.Fd))
}

// openSealed opens path if it is a memfd with all of initSeals.
func openSealed(path string) *os.File {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
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

// sameExecutable reports whether path is the file this process runs, and
// its sealed copy is the init's too: Store.Start then starts a monitor of
// this binary from that copy, so that monitor and init share its pages.
// With an init binary of its own (UseInitBinary) the copy is of that one,
// which cannot run a monitor: false, and the monitor runs from path.
func sameExecutable(path string) bool {
	if initImage != "" {
		return false
	}
	var a, b unix.Stat_t
	if unix.Stat(path, &a) != nil || unix.Stat("/proc/self/exe", &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

func copySelf() (*os.File, error) {
	f, err := newCopy()
	if err != nil {
		return nil, err
	}
	if err := fillCopy(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func newCopy() (*os.File, error) {
	fd, err := unix.MemfdCreate("stack-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd: %w", err)
	}
	return os.NewFile(uintptr(fd), "stack-init"), nil
}

// fillCopy copies the init binary into the memfd f and seals it.
//
// Pages just written to a memfd wait in the writing CPU's batch of pages
// for the LRU lists, holding a reference; sealing against writes waits for
// such references and fails with EBUSY while pages sit in another CPU's
// batch, which only that CPU drains. So the copy and the seal run on one
// thread bound to one CPU: the seal drains that CPU's batch itself.
func fillCopy(f *os.File) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if restore := bindToOneCPU(); restore != nil {
		defer restore()
	}
	if err := copyInitBinary(f); err != nil {
		return fmt.Errorf("copy binary to memfd: %w", err)
	}
	var err error
	for attempt := 0; ; attempt++ {
		_, err = unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, initSeals)
		if err != unix.EBUSY || attempt == 100 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("seal memfd: %w", err)
	}
	return nil
}

// bindToOneCPU binds the calling thread to one of the CPUs it may run on
// and returns what puts its affinity back; nil if it could not.
func bindToOneCPU() func() {
	var old unix.CPUSet
	if unix.SchedGetaffinity(0, &old) != nil {
		return nil
	}
	for cpu := 0; cpu < len(old)*64; cpu++ {
		if !old.IsSet(cpu) {
			continue
		}
		var one unix.CPUSet
		one.Set(cpu)
		if unix.SchedSetaffinity(0, &one) != nil {
			return nil
		}
		return func() { unix.SchedSetaffinity(0, &old) }
	}
	return nil
}

// copyInitBinary writes the init binary to dst: our executable, or the
// image UseInitBinary gave, from the part of our executable it is in if
// it is embedded there.
func copyInitBinary(dst *os.File) error {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return err
	}
	defer src.Close()
	if initImage == "" {
		return copyInKernel(dst, src, nil, 1<<62)
	}
	return writeEmbedded(dst, src, initImage)
}

// WriteEmbedded writes bin, bytes of our executable such as an embedded
// file, to the empty file dst: see writeEmbedded.
func WriteEmbedded(dst *os.File, bin string) error {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return err
	}
	defer src.Close()
	return writeEmbedded(dst, src, bin)
}

// writeEmbedded writes s to the empty file dst: with sendfile(2) from
// src, our executable, if s is part of it, or else from memory.
func writeEmbedded(dst, src *os.File, s string) error {
	if off, ok := embeddedOffset(s); ok {
		if err := copyInKernel(dst, src, &off, int64(len(s))); err == nil && sameStart(dst, s) {
			return nil
		}
		if err := dst.Truncate(0); err != nil {
			return err
		}
		if _, err := dst.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	_, err := io.WriteString(dst, s)
	return err
}

// embeddedOffset returns where in our executable's file the bytes of s
// are, if s lies in a mapping of that file: a string constant or an
// embedded file. Copied from there with sendfile(2), they never pass
// through this process's memory, whose reads of a file's pages would fault
// each of them in and count them as its own.
func embeddedOffset(s string) (int64, bool) {
	var st unix.Stat_t
	if unix.Stat("/proc/self/exe", &st) != nil {
		return 0, false
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, false
	}
	lo := uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))
	hi := lo + uint64(len(s))
	for line := range strings.Lines(string(maps)) {
		m, ok := parseMapping(line)
		if !ok || m.ino != st.Ino || lo < m.start || hi > m.end {
			continue
		}
		// A private mapping the process wrote to holds its own copies of
		// the pages: only read-only ones are the file's for sure.
		if !strings.HasPrefix(m.perms, "r-") {
			return 0, false
		}
		return int64(m.offset + lo - m.start), true
	}
	return 0, false
}

// mapping is the header line of one mapping in /proc/self/maps or smaps:
// start-end perms offset dev inode [path].
type mapping struct {
	start, end, offset, ino uint64
	perms                   string
}

// parseMapping parses a mapping's header line; ok is false for any other
// line, such as smaps' "Size: 4 kB".
func parseMapping(line string) (m mapping, ok bool) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return m, false
	}
	lo, hi, found := strings.Cut(f[0], "-")
	if !found || strings.HasSuffix(f[0], ":") {
		return m, false
	}
	var err [4]error
	m.start, err[0] = strconv.ParseUint(lo, 16, 64)
	m.end, err[1] = strconv.ParseUint(hi, 16, 64)
	m.offset, err[2] = strconv.ParseUint(f[2], 16, 64)
	m.ino, err[3] = strconv.ParseUint(f[4], 10, 64)
	m.perms = f[1]
	return m, errors.Join(err[:]...) == nil && m.end > m.start
}

// sameStart reports whether the file f begins with the first bytes of s:
// a check that the offset found the embedded binary, not other bytes.
func sameStart(f *os.File, s string) bool {
	n := min(len(s), 4096)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return false
	}
	return string(buf) == s[:n]
}

// copyInKernel copies n bytes of src, from *off or from its current
// position if off is nil, to dst with sendfile(2), without passing the
// binary's megabytes through user space; n beyond the end copies to it.
func copyInKernel(dst, src *os.File, off *int64, n int64) error {
	for n > 0 {
		got, err := unix.Sendfile(int(dst.Fd()), int(src.Fd()), off, int(min(n, 1<<30)))
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			if off != nil {
				return err
			}
			// Some file systems cannot sendfile: copy through user space.
			_, err = io.Copy(dst, src)
			return err
		}
		if got == 0 {
			if off != nil {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		n -= int64(got)
	}
	return nil
}

// nameProcess sets the name ps shows for this process: executed as
// /proc/self/fd/N, it would be N. The name is the main thread's, which
// need not be the calling one; /proc/self is read for the pid, as the init
// still sees the host's /proc, where its pid is not 1.
func nameProcess(name string) {
	pid, err := os.Readlink("/proc/self")
	if err != nil {
		return
	}
	os.WriteFile("/proc/self/task/"+pid+"/comm", []byte(name), 0)
}

// dropTextPages unmaps the pages of this process's own executable that
// are mapped read-only (code and read-only data): a monitor has touched
// most of them once, starting up, and runs a few loops from then on, whose
// pages fault back in. The pages stay in the page cache or the sealed
// copy; what goes is this process's share of them. A mapping with private
// copies of pages (relocated data a dynamic loader made read-only after
// writing it, in a binary linked with cgo) is left alone, as are writable
// ones: dropping those would lose data.
func dropTextPages() {
	var st unix.Stat_t
	if unix.Stat("/proc/self/exe", &st) != nil {
		return
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return
	}
	var cur mapping
	ours := false
	for line := range strings.Lines(string(smaps)) {
		if m, ok := parseMapping(line); ok {
			cur = m
			ours = m.ino == st.Ino && (m.perms == "r-xp" || m.perms == "r--p")
			continue
		}
		// Each mapping's fields end with VmFlags; Anonymous comes before.
		f := strings.Fields(line)
		if ours && len(f) >= 2 && f[0] == "Anonymous:" {
			if f[1] == "0" {
				unix.Syscall(unix.SYS_MADVISE, uintptr(cur.start), uintptr(cur.end-cur.start), unix.MADV_DONTNEED)
			}
			ours = false
		}
	}
}
