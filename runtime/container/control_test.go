package container

import (
	"context"
	"testing"
	"time"
)

// TestKillIsAnswered kills containers whose process dies at once: the
// monitor, which ends with its container, must still answer the kill that
// ended it, so the caller sees success and not a monitor gone away.
func TestKillIsAnswered(t *testing.T) {
	for i := 0; i < 5; i++ {
		s, c := startTestContainer(t, "sleep", "1000")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := s.Kill(ctx, c.ID, ""); err != nil {
			t.Errorf("kill %d: %v", i, err)
		}
		if code, err := s.Wait(ctx, c.ID); err != nil || code != 137 {
			t.Errorf("wait after kill %d: code %d, %v; want 137", i, code, err)
		}
		cancel()
	}
}
