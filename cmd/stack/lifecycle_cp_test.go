package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLifecycleCp copies a tree into a container and back, and checks that
// a symbolic link in the container cannot reach the host's files.
func TestLifecycleCp(t *testing.T) {
	e := newLcEnv(t, lcPair)
	e.must("up", "-d")
	src := filepath.Join(t.TempDir(), "tree")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "f"), []byte("deep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must("cp", src, "web:/tmp/in")
	if out := e.must("exec", "-T", "web", "cat", "/tmp/in/sub/f"); out != "deep\n" {
		t.Errorf("file copied in: %q", out)
	}
	back := filepath.Join(t.TempDir(), "back")
	e.must("cp", "web:/tmp/in", back)
	if data, err := os.ReadFile(filepath.Join(back, "sub", "f")); err != nil || string(data) != "deep\n" {
		t.Errorf("file copied out: %q, %v", data, err)
	}

	secret := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(secret, []byte("host only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.must("exec", "-T", "web", "ln", "-s", secret, "/tmp/escape")
	out := filepath.Join(t.TempDir(), "escaped")
	_, errOut, code := e.stack("cp", "web:/tmp/escape", out)
	if data, err := os.ReadFile(out); err == nil && strings.Contains(string(data), "host only") {
		t.Fatalf("cp followed a container symlink to the host's %s", secret)
	}
	if code == 0 {
		t.Errorf("cp of a link to a path missing in the container succeeded:\n%s", errOut)
	}
}
