package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// smallFile is the largest file handed to the file writers; larger ones
	// are streamed by the unpacker itself.
	smallFile = 256 << 10
	// fileWriterCount goroutines create files: creating a file is mostly
	// system time, and one goroutine cannot spread it over the cores.
	fileWriterCount = 4
)

// regular unpacks a regular file: small ones are read into memory and
// created by the file writers, large ones are streamed here.
func (u *unpacker) regular(hdr *tar.Header, rel string, r io.Reader) error {
	if err := u.replace(rel); err != nil {
		return err
	}
	if hdr.Size > smallFile {
		return writeFile(hdr, u.full(rel), u.streamTo(r))
	}
	data := make([]byte, hdr.Size)
	if _, err := io.ReadFull(r, data); err != nil {
		return err
	}
	return u.files.submit(rel, fileJob{full: u.full(rel), hdr: hdr, data: data})
}

// fileWriters create files in directories the unpacker has already checked
// and made. A path stays pending until its file is written; the unpacker
// settles a path before it looks at it again, and waits for all files
// before it removes a directory or applies directory times.
type fileWriters struct {
	jobs     chan fileJob
	inflight sync.WaitGroup
	workers  sync.WaitGroup
	pending  map[string]bool // used by the unpacker's goroutine only
	mu       sync.Mutex
	err      error
	closed   bool
}

type fileJob struct {
	full string
	hdr  *tar.Header
	data []byte
}

func newFileWriters() *fileWriters {
	w := &fileWriters{jobs: make(chan fileJob, 64), pending: map[string]bool{}}
	for i := 0; i < fileWriterCount; i++ {
		w.workers.Add(1)
		go w.run()
	}
	return w
}

func (w *fileWriters) run() {
	defer w.workers.Done()
	for job := range w.jobs {
		if w.failed() == nil {
			err := writeFile(job.hdr, job.full, func(fd int) error { return writeAll(fd, job.data) })
			if err != nil {
				w.fail(fmt.Errorf("entry %q: %w", job.hdr.Name, err))
			}
		}
		w.inflight.Done()
	}
}

func (w *fileWriters) submit(rel string, job fileJob) error {
	if err := w.failed(); err != nil {
		return err
	}
	w.pending[rel] = true
	w.inflight.Add(1)
	w.jobs <- job
	return nil
}

// settle waits for the file at rel if one is being written.
func (w *fileWriters) settle(rel string) error {
	if !w.pending[rel] {
		return nil
	}
	return w.wait()
}

// wait waits for every file handed over so far.
func (w *fileWriters) wait() error {
	w.inflight.Wait()
	clear(w.pending)
	return w.failed()
}

// close waits for the files and stops the writers; it may be called twice.
func (w *fileWriters) close() error {
	if !w.closed {
		w.closed = true
		close(w.jobs)
		w.workers.Wait()
		clear(w.pending)
	}
	return w.failed()
}

func (w *fileWriters) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *fileWriters) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// writeFile creates a regular file with the content fill writes and sets
// its owner, mode and xattrs through the open descriptor, which spares the
// path lookups of meta: a root filesystem is mostly regular files.
func writeFile(hdr *tar.Header, full string, fill func(fd int) error) error {
	fd, err := unix.Open(full, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: full, Err: err}
	}
	err = fill(fd)
	if err == nil {
		err = fileMeta(fd, hdr)
	}
	if closeErr := unix.Close(fd); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	return utimes(full, accessTime(hdr), hdr.ModTime)
}

// streamTo copies r to fd through the unpacker's buffer.
func (u *unpacker) streamTo(r io.Reader) func(fd int) error {
	return func(fd int) error {
		for {
			n, err := r.Read(u.buf)
			if n > 0 {
				if werr := writeAll(fd, u.buf[:n]); werr != nil {
					return werr
				}
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
}

func fileMeta(fd int, hdr *tar.Header) error {
	if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	if err := unix.Fchmod(fd, uint32(hdr.Mode&0o7777)); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	for attr, value := range tarXattrs(hdr) {
		if err := unix.Fsetxattr(fd, attr, []byte(value), 0); err != nil && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("set xattr %s: %w", attr, err)
		}
	}
	return nil
}

func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		p = p[n:]
	}
	return nil
}

// tarXattrs are the extended attributes of an entry, without overlay ones:
// only whiteout conversion may set those, or a layer could redirect lookups
// into other layers.
func tarXattrs(hdr *tar.Header) map[string]string {
	var attrs map[string]string
	for key, value := range hdr.PAXRecords {
		attr, ok := strings.CutPrefix(key, paxXattr)
		if !ok || strings.HasPrefix(attr, "trusted.overlay.") {
			continue
		}
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs[attr] = value
	}
	return attrs
}

func accessTime(hdr *tar.Header) time.Time {
	if hdr.AccessTime.IsZero() {
		return hdr.ModTime
	}
	return hdr.AccessTime
}

func utimes(full string, atime, mtime time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, full, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

func setXattr(full, attr, value string) error {
	if err := unix.Lsetxattr(full, attr, []byte(value), 0); err != nil {
		return fmt.Errorf("set xattr %s: %w", attr, err)
	}
	return nil
}
