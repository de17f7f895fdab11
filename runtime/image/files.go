package image

import (
	"archive/tar"
	"fmt"
	"io"
	"sync"
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
