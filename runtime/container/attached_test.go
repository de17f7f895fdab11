package container

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func runOutput(t *testing.T, cfg *Config) (string, int) {
	t.Helper()
	os.MkdirAll(cfg.Rootfs.Upper, 0o755)
	os.MkdirAll(cfg.Rootfs.Work, 0o755)
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code, err := RunAttached(ctx, cfg, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("RunAttached: %v\nstderr: %s", err, errOut.String())
	}
	return strings.TrimSpace(out.String() + errOut.String()), code
}

func TestRunAttachedEcho(t *testing.T) {
	cfg := testConfig(t, "echo", "hi")
	got, code := runOutput(t, cfg)
	if got != "hi" || code != 0 {
		t.Errorf("got %q exit %d, want %q exit 0", got, code, "hi")
	}
}

func TestRunAttachedExitCode(t *testing.T) {
	cfg := testConfig(t, "sh", "-c", "exit 7")
	if _, code := runOutput(t, cfg); code != 7 {
		t.Errorf("exit code %d, want 7", code)
	}
}
