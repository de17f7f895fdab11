package container

import (
	"context"
	"testing"
	"time"
)

// TestHealthNoInit checks that healthchecks of a container without an init
// run through the monitor's helper.
func TestHealthNoInit(t *testing.T) {
	cfg := testConfig(t, "sleep", "1000")
	cfg.NoInit = true
	cfg.Health = &Healthcheck{Test: []string{"CMD-SHELL", "test -e /tmp/ok"}, Interval: 100 * time.Millisecond, Timeout: time.Second, Retries: 1}
	s, c := startTestConfig(t, cfg)
	wait := func(want string) {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			c, _ := s.Get(c.ID)
			if c.State.Health != nil && c.State.Health.Status == want {
				return
			}
		}
		c, _ := s.Get(c.ID)
		t.Fatalf("health never %s: %+v", want, c.State.Health)
	}
	wait("unhealthy")
	if code, err := s.Exec(context.Background(), c.ID, ExecOptions{Process: Process{Args: []string{"touch", "/tmp/ok"}}}); err != nil || code != 0 {
		t.Fatal(err, code)
	}
	wait("healthy")
}
