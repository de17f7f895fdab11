package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// ExecOptions describe a process to run in a running container.
type ExecOptions struct {
	Process Process // Env is added to the container's; User and Cwd default to its
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Detach  bool // return once the process runs
	// OnTerminal, with Process.Terminal, receives the pty master once the
	// process runs, to size it and follow window changes. The master is
	// closed when Exec returns.
	OnTerminal func(master *os.File)
}

// Exec runs a process in the container's namespaces with its security
// settings, started by the container's init (or, without one, by a helper
// of the monitor that joins the main process's namespaces), and returns
// its exit code.
func (s *Store) Exec(ctx context.Context, ref string, opts ExecOptions) (int, error) {
	c, err := s.Get(ref)
	if err != nil {
		return -1, err
	}
	conn, err := s.dialControl(c)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	opts.Stdout, opts.Stderr = separateWriters(opts.Stdout, opts.Stderr)
	var theirs []*os.File
	var copies sync.WaitGroup
	mask := 0
	closeTheirs := func() {
		for _, f := range theirs {
			f.Close()
		}
		theirs = nil
	}
	defer closeTheirs()
	if !opts.Process.Terminal {
		if opts.Stdin != nil {
			r, w, err := os.Pipe()
			if err != nil {
				return -1, err
			}
			theirs, mask = append(theirs, r), mask|1
			go func() { io.Copy(w, opts.Stdin); w.Close() }()
		}
		for i, out := range []io.Writer{opts.Stdout, opts.Stderr} {
			if out == nil {
				continue
			}
			r, w, err := os.Pipe()
			if err != nil {
				return -1, err
			}
			theirs, mask = append(theirs, w), mask|2<<i
			copies.Add(1)
			go func() { defer copies.Done(); io.Copy(out, r); r.Close() }()
		}
	}
	fds := make([]int, len(theirs))
	for i, f := range theirs {
		fds[i] = int(f.Fd())
	}
	p := opts.Process
	if err := writePacket(conn, controlRequest{Op: "exec", Process: &p, Stdio: mask}, fds...); err != nil {
		return -1, err
	}
	closeTheirs()
	var r controlReply
	got, err := readPacket(conn, &r)
	if err != nil {
		return -1, fmt.Errorf("exec: monitor: %w", err)
	}
	if r.Error != "" {
		closeAll(got)
		return -1, fmt.Errorf("exec: %s", r.Error)
	}
	if len(got) > 0 {
		master := os.NewFile(uintptr(got[0]), "pty-master")
		closeAll(got[1:])
		defer master.Close()
		if opts.OnTerminal != nil {
			opts.OnTerminal(master)
		}
		if opts.Stdin != nil {
			go io.Copy(master, opts.Stdin)
		}
		if opts.Stdout != nil {
			copies.Add(1)
			go func() { defer copies.Done(); io.Copy(opts.Stdout, master) }()
		}
	}
	if opts.Detach {
		return 0, nil
	}
	_, err = readPacket(conn, &r)
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return -1, errors.New("exec: the monitor went away")
	}
	copies.Wait()
	return r.Code, nil
}

// lockedWriter serializes writes of two streams that share a writer; it
// also hides the writer's ReadFrom, which is not safe to run twice at once.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// separateWriters makes stdout and stderr safe to copy to concurrently.
func separateWriters(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	if stdout == nil || stdout != stderr {
		return stdout, stderr
	}
	mu := &sync.Mutex{}
	return lockedWriter{mu, stdout}, lockedWriter{mu, stderr}
}
