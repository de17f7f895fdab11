package container

import (
	"bytes"
	"context"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

const (
	healthStarting  = "starting"
	healthHealthy   = "healthy"
	healthUnhealthy = "unhealthy"
	healthLogKeep   = 5
	healthOutputMax = 4096
)

func healthEnabled(h *Healthcheck) bool {
	return h != nil && len(h.Test) > 0 && h.Test[0] != "NONE"
}

// healthArgs turns Docker's test form into a command line.
func healthArgs(test []string) []string {
	switch test[0] {
	case "CMD":
		return test[1:]
	case "CMD-SHELL":
		return []string{"/bin/sh", "-c", joinArgs(test[1:])}
	}
	return test // a bare command, as some stack files write it
}

func joinArgs(a []string) string {
	var b bytes.Buffer
	for i, s := range a {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

func durationOr(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}

// healthLoop probes the container until ctx ends: every StartInterval
// during the start period, every Interval afterwards. A failure in the
// start period does not count against the retries, a success ends it.
func (m *monitor) healthLoop(ctx context.Context, inst *instance) {
	h := m.c.Health
	if !healthEnabled(h) {
		return
	}
	started := time.Now()
	startPeriod := h.StartPeriod
	inStart := startPeriod > 0
	for {
		wait := durationOr(h.Interval, 30*time.Second)
		if inStart {
			wait = durationOr(h.StartInterval, 5*time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if inStart && time.Since(started) >= startPeriod {
			inStart = false
		}
		// A paused container is not probed, as Docker stops its health
		// monitor on pause; a probe the pause caught is not counted.
		if frozen(m.c.ID) {
			continue
		}
		probe := m.probe(ctx, inst, healthArgs(h.Test), durationOr(h.Timeout, 30*time.Second))
		if ctx.Err() != nil {
			return
		}
		if frozen(m.c.ID) {
			continue
		}
		m.record(probe, inStart, max(h.Retries, 0))
		if probe.ExitCode == 0 {
			inStart = false
		}
	}
}

func (m *monitor) record(p HealthProbe, inStart bool, retries int) {
	if retries == 0 {
		retries = 3
	}
	m.setState(func(s *State) {
		if s.Health == nil {
			s.Health = &HealthState{Status: healthStarting}
		}
		hs := s.Health
		hs.Log = append(hs.Log, p)
		if len(hs.Log) > healthLogKeep {
			hs.Log = hs.Log[len(hs.Log)-healthLogKeep:]
		}
		switch {
		case p.ExitCode == 0:
			hs.Status, hs.FailingStreak = healthHealthy, 0
		case inStart:
		default:
			hs.FailingStreak++
			if hs.FailingStreak >= retries {
				hs.Status = healthUnhealthy
			}
		}
	})
}

// probe runs one healthcheck command inside the container.
func (m *monitor) probe(ctx context.Context, inst *instance, args []string, timeout time.Duration) HealthProbe {
	p := HealthProbe{Start: time.Now().UTC(), ExitCode: -1}
	defer func() { p.End = time.Now().UTC() }()
	r, w, err := os.Pipe()
	if err != nil {
		p.Output = err.Error()
		return p
	}
	defer r.Close()
	proc := Process{Args: args, Env: m.c.Process.Env, Cwd: m.c.Process.Cwd, User: m.c.Process.User}
	id, replies, err := m.startExec(inst, proc, [3]int{-1, int(w.Fd()), int(w.Fd())})
	w.Close()
	if err != nil {
		p.Output = err.Error()
		return p
	}
	out := make(chan string, 1)
	go func() {
		data, _ := io.ReadAll(io.LimitReader(r, healthOutputMax))
		io.Copy(io.Discard, r)
		for !utf8.Valid(data) && len(data) > 0 {
			data = data[:len(data)-1]
		}
		out <- string(data)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case rep, ok := <-replies:
			if !ok {
				p.Output = "the container stopped"
				return p
			}
			closeAll(rep.fds)
			switch rep.msg.Type {
			case msgError:
				p.Output = rep.msg.Error
				return p
			case msgExited:
				p.ExitCode = rep.msg.Status
				p.Output = <-out
				return p
			}
		case <-timer.C:
			m.signalExec(inst, id, unix.SIGKILL)
			p.Output = "Health check exceeded timeout (" + timeout.String() + ")"
			return p
		case <-ctx.Done():
			m.signalExec(inst, id, unix.SIGKILL)
			return p
		}
	}
}
