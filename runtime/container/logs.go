package container

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// LogEntry is one line of the JSON-lines log, in Docker's json-file format.
type LogEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

const (
	defaultLogMaxSize  = 10 << 20
	defaultLogMaxFiles = 3
)

// LogPath is where a container's current log file is.
func (s *Store) LogPath(id string) string {
	return filepath.Join(s.Dir(id), id+"-json.log")
}

// logWriter appends entries to the log, rotating by size: path, path.1, ...
type logWriter struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	size     int64
	maxSize  int64
	maxFiles int
}

func openLog(path string, cfg LogConfig) (*logWriter, error) {
	w := &logWriter{path: path, maxSize: cfg.MaxSize, maxFiles: cfg.MaxFiles}
	if w.maxSize <= 0 {
		w.maxSize = defaultLogMaxSize
	}
	if w.maxFiles <= 0 {
		w.maxFiles = defaultLogMaxFiles
	}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *logWriter) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	w.f, w.size = f, st.Size()
	return nil
}

// write logs one line (with its newline, if it had one) of stream.
func (w *logWriter) write(stream string, line []byte) {
	data, _ := json.Marshal(LogEntry{Log: string(line), Stream: stream, Time: time.Now().UTC()})
	data = append(data, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return
	}
	if w.size+int64(len(data)) > w.maxSize && w.size > 0 {
		w.rotate()
	}
	n, _ := w.f.Write(data)
	w.size += int64(n)
}

func (w *logWriter) rotate() {
	w.f.Close()
	w.f = nil
	if w.maxFiles > 1 {
		for i := w.maxFiles - 1; i >= 1; i-- {
			from := w.path
			if i > 1 {
				from = fmt.Sprintf("%s.%d", w.path, i-1)
			}
			os.Rename(from, fmt.Sprintf("%s.%d", w.path, i))
		}
	} else {
		os.Remove(w.path)
	}
	w.open()
}

func (w *logWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// relay copies a container stream to the log, line by line, and raw to
// attached (which is dropped at its first error) until r ends.
func relay(r io.Reader, stream string, log *logWriter, attached io.Writer) {
	br := bufio.NewReaderSize(r, 32<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			log.write(stream, line)
			if attached != nil {
				if _, werr := attached.Write(line); werr != nil {
					attached = nil
				}
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// LogOptions select what ReadLogs returns.
type LogOptions struct {
	Tail   int       // last N lines; negative means all
	Since  time.Time // entries at or after
	Follow bool      // keep reading until ctx ends or the container stops
}

// ReadLogs calls emit for the container's log entries, oldest first, with
// rotated files included.
func (s *Store) ReadLogs(ctx context.Context, id string, opts LogOptions, emit func(LogEntry) error) error {
	path := s.LogPath(id)
	var entries []LogEntry
	for i := defaultLogMaxFiles + 5; i >= 1; i-- {
		entries = appendEntries(entries, fmt.Sprintf("%s.%d", path, i), opts.Since)
	}
	f, err := os.Open(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var offset int64
	if f != nil {
		defer f.Close()
		data, _ := io.ReadAll(f)
		offset = int64(len(data))
		entries = appendLines(entries, data, opts.Since)
	}
	if opts.Tail >= 0 && len(entries) > opts.Tail {
		entries = entries[len(entries)-opts.Tail:]
	}
	for _, e := range entries {
		if err := emit(e); err != nil {
			return err
		}
	}
	if !opts.Follow {
		return nil
	}
	return s.follow(ctx, id, path, f, offset, emit)
}

// follow polls the log for new lines: cheap, and correct across rotation.
func (s *Store) follow(ctx context.Context, id, path string, f *os.File, offset int64, emit func(LogEntry) error) error {
	var partial []byte
	buf := make([]byte, 64<<10)
	for {
		if f == nil {
			f, _ = os.Open(path)
			offset = 0
		}
		for f != nil {
			n, _ := f.ReadAt(buf, offset)
			if n == 0 {
				break
			}
			offset += int64(n)
			partial = append(partial, buf[:n]...)
			i := bytes.LastIndexByte(partial, '\n')
			if i < 0 {
				continue
			}
			for _, e := range appendLines(nil, partial[:i+1], time.Time{}) {
				if err := emit(e); err != nil {
					return err
				}
			}
			partial = append(partial[:0], partial[i+1:]...)
		}
		if f != nil {
			cur, err1 := os.Stat(path)
			open, err2 := f.Stat()
			if err1 == nil && err2 == nil && !os.SameFile(cur, open) {
				f.Close() // rotated, and drained above: the new file starts from zero
				f = nil
				continue
			}
		}
		c, err := s.Get(id)
		if err != nil || !c.Running() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func appendEntries(entries []LogEntry, path string, since time.Time) []LogEntry {
	data, err := os.ReadFile(path)
	if err != nil {
		return entries
	}
	return appendLines(entries, data, since)
}

func appendLines(entries []LogEntry, data []byte, since time.Time) []LogEntry {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		var e LogEntry
		if json.Unmarshal(line, &e) == nil && !e.Time.Before(since) {
			entries = append(entries, e)
		}
	}
	return entries
}
