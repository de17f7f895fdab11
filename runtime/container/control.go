package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// controlRequest is one request on a monitor's control socket; the socket
// is SOCK_SEQPACKET, one JSON message per packet, descriptors as
// SCM_RIGHTS (an exec's stdin, stdout and stderr).
type controlRequest struct {
	Op      string        `json:"op"` // stop, kill, exec, resize
	Signal  string        `json:"signal,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
	Process *Process      `json:"process,omitempty"`
	Rows    uint16        `json:"rows,omitempty"`
	Cols    uint16        `json:"cols,omitempty"`
	Stdio   int           `json:"stdio,omitempty"` // exec: as message.Stdio
}

// controlReply answers a request; an exec gets "started" (with the
// terminal's master as SCM_RIGHTS when it has one), then "exit".
type controlReply struct {
	Event string `json:"event,omitempty"` // started, exit
	Pid   int    `json:"pid,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

func (m *monitor) serve(ln *net.UnixListener) {
	defer close(m.served)
	for {
		conn, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		m.handlers.Add(1)
		go func() {
			defer m.handlers.Done()
			m.handle(conn)
		}()
	}
}

// waitHandlers waits at most grace for the requests being served to be
// answered; a request that streams (an attach, a wait) may outlive it.
func (m *monitor) waitHandlers(grace time.Duration) {
	deadline := time.After(grace)
	select {
	case <-m.served: // no request is accepted any more: Wait may start
	case <-deadline:
		return
	}
	done := make(chan struct{})
	go func() {
		m.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-deadline:
	}
}

func (m *monitor) handle(conn *net.UnixConn) {
	defer conn.Close()
	var req controlRequest
	fds, err := readPacket(conn, &req)
	if err != nil {
		return
	}
	defer closeAll(fds)
	answer := func(r controlReply, fds ...int) {
		writePacket(conn, r, fds...)
	}
	switch req.Op {
	case "stop":
		sig, err := m.stopSignal(req.Signal)
		if err != nil {
			answer(controlReply{Error: err.Error()})
			return
		}
		timeout := req.Timeout
		if timeout < 0 {
			timeout = m.c.stopTimeout()
		}
		// A paused container is stopped as Docker does: resumed, so that the
		// stop signal and, after the timeout, SIGKILL take effect.
		thaw(m.c.ID)
		done := make(chan struct{})
		go m.thawAfter(timeout, done)
		m.stop(sig, timeout)
		close(done)
		answer(controlReply{})
	case "kill":
		sig, err := parseSignalNumber(req.Signal)
		if err == nil && req.Signal == "" {
			sig = unix.SIGKILL
		}
		if err != nil {
			answer(controlReply{Error: err.Error()})
			return
		}
		if sig == unix.SIGKILL {
			m.mu.Lock()
			m.stopping = true
			m.mu.Unlock()
		}
		inst := m.current()
		if inst == nil {
			answer(controlReply{Error: ErrNotRunning.Error()})
			return
		}
		unix.Kill(inst.pid, sig)
		if stop, _ := m.stopSignal(""); sig == unix.SIGKILL || sig == stop {
			// Delivered once the container runs again; other signals leave
			// a paused container paused, as with Docker.
			thaw(m.c.ID)
		}
		answer(controlReply{})
	case "resize":
		inst := m.current()
		if inst != nil && inst.master != nil {
			unix.IoctlSetWinsize(int(inst.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: req.Rows, Col: req.Cols})
		}
		answer(controlReply{})
	case "exec":
		m.serveExec(conn, req, fds)
	default:
		answer(controlReply{Error: "unknown operation " + req.Op})
	}
}

// thawAfter keeps the container thawed from the stop timeout on until
// done, so that a pause that came during the grace period cannot hold off
// the SIGKILL that ends it.
func (m *monitor) thawAfter(timeout time.Duration, done <-chan struct{}) {
	select {
	case <-done:
		return
	case <-time.After(timeout):
	}
	for {
		thaw(m.c.ID)
		select {
		case <-done:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (m *monitor) current() *instance {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inst
}

func (m *monitor) stopSignal(s string) (unix.Signal, error) {
	if s == "" {
		s = m.c.StopSignal
	}
	return parseSignalNumber(s)
}

func (m *monitor) serveExec(conn *net.UnixConn, req controlRequest, fds []int) {
	inst := m.current()
	switch {
	case inst == nil:
		writePacket(conn, controlReply{Error: ErrNotRunning.Error()})
		return
	case req.Process == nil:
		writePacket(conn, controlReply{Error: "exec: no process"})
		return
	case frozen(m.c.ID):
		// The init that would spawn the process is frozen too.
		writePacket(conn, controlReply{Error: (&stateError{m.c.Name, "is paused, unpause the container first", ErrPaused}).Error()})
		return
	}
	p := *req.Process
	if p.Cwd == "" {
		p.Cwd = m.c.Process.Cwd
	}
	if p.User == "" {
		p.User = m.c.Process.User
	}
	p.Env = mergeEnv(m.c.Process.Env, p.Env)
	stdio := [3]int{-1, -1, -1}
	next := 0
	for i := range stdio {
		if req.Stdio&(1<<i) != 0 && next < len(fds) {
			stdio[i] = fds[next]
			next++
		}
	}
	id, replies, err := m.startExec(inst, p, stdio)
	if err != nil {
		writePacket(conn, controlReply{Error: err.Error()})
		return
	}
	// A client that goes away does not stop the process (docker exec -d).
	for r := range replies {
		switch r.msg.Type {
		case msgStarted:
			writePacket(conn, controlReply{Event: "started", Pid: r.msg.Pid}, r.fds...)
			closeAll(r.fds)
		case msgError:
			writePacket(conn, controlReply{Error: r.msg.Error})
			return
		case msgExited:
			writePacket(conn, controlReply{Event: "exit", Code: r.msg.Status})
			return
		}
	}
	_ = id
	writePacket(conn, controlReply{Event: "exit", Code: 137, Error: "the container stopped"})
}

// mergeEnv overlays extra on base, later keys winning.
func mergeEnv(base, extra []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range extra {
		key, _, _ := cutEnv(kv)
		replaced := false
		for i, old := range out {
			if k, _, _ := cutEnv(old); k == key {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

func readPacket(conn *net.UnixConn, v any) ([]int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	var size int
	var peekErr error
	if err := raw.Read(func(fd uintptr) bool {
		size, peekErr = nextPacketLen(int(fd))
		return peekErr != unix.EAGAIN
	}); err != nil {
		return nil, err
	}
	if peekErr != nil {
		return nil, peekErr
	}
	if size == 0 {
		return nil, errPeerGone
	}
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4*8))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errPeerGone
	}
	var fds []int
	if oobn > 0 {
		scms, _ := unix.ParseSocketControlMessage(oob[:oobn])
		for _, scm := range scms {
			if got, err := unix.ParseUnixRights(&scm); err == nil {
				for _, fd := range got {
					unix.CloseOnExec(fd)
				}
				fds = append(fds, got...)
			}
		}
	}
	if err := json.Unmarshal(buf[:n], v); err != nil {
		closeAll(fds)
		return nil, err
	}
	return fds, nil
}

func writePacket(conn *net.UnixConn, v any, fds ...int) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_, _, err = conn.WriteMsgUnix(data, oob, nil)
	return err
}

// dialControl connects to a running container's monitor.
func (s *Store) dialControl(c *Container) (*net.UnixConn, error) {
	if !c.Running() {
		return nil, fmt.Errorf("%w: %s", ErrNotRunning, c.Name)
	}
	short, done, err := shortPath(filepath.Join(s.RunDir(c.ID), "control.sock"))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotRunning, c.Name)
	}
	defer done()
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: short, Net: "unixpacket"})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ECONNREFUSED) {
			return nil, fmt.Errorf("%w: %s", ErrNotRunning, c.Name)
		}
		return nil, fmt.Errorf("container %s: control socket: %w", c.Name, err)
	}
	return conn, nil
}

// call sends one request and reads one reply.
func (s *Store) call(ctx context.Context, c *Container, req controlRequest) error {
	conn, err := s.dialControl(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := writePacket(conn, req); err != nil {
		return err
	}
	var r controlReply
	fds, err := readPacket(conn, &r)
	closeAll(fds)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("container %s: monitor: %w", c.Name, err)
	}
	if r.Error != "" {
		return fmt.Errorf("container %s: %s", c.Name, r.Error)
	}
	return nil
}

// Stop stops a running container: its stop signal (or signal, if set),
// then SIGKILL after timeout (negative: the container's stop timeout). A
// container that is not running is left as it is.
func (s *Store) Stop(ctx context.Context, ref, signal string, timeout time.Duration) error {
	c, err := s.Get(ref)
	if err != nil {
		return err
	}
	if !c.Running() {
		return nil
	}
	err = s.call(ctx, c, controlRequest{Op: "stop", Signal: signal, Timeout: timeout})
	if errors.Is(err, ErrNotRunning) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.waitMonitorGone(ctx, c.ID)
}

// waitMonitorGone waits for the monitor to record the final state.
func (s *Store) waitMonitorGone(ctx context.Context, id string) error {
	for {
		c, err := s.load(id)
		if err != nil || !c.Running() && c.State.MonitorPid == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Kill sends signal (default SIGKILL) to the container's main process.
func (s *Store) Kill(ctx context.Context, ref, signal string) error {
	c, err := s.Get(ref)
	if err != nil {
		return err
	}
	if _, err := parseSignalNumber(signal); err != nil {
		return err
	}
	return s.call(ctx, c, controlRequest{Op: "kill", Signal: signal})
}

// Resize sets the size of the main process's terminal.
func (s *Store) Resize(ctx context.Context, c *Container, rows, cols uint16) error {
	return s.call(ctx, c, controlRequest{Op: "resize", Rows: rows, Cols: cols})
}
