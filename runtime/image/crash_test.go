package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const helperEnv = "STACK_IMAGE_TEST_HELPER"

// runHelper is the body of the re-executed test binary: it imports stdin
// into the store at $STACK_IMAGE_TEST_HELPER and is killed halfway.
func runHelper() {
	s, err := Open(os.Getenv(helperEnv))
	if err == nil {
		_, err = s.Import(context.Background(), os.Stdin, ImportOptions{Ref: "crash"})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func TestCrashMidImportLeavesNoImage(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	data, err := os.ReadFile(busyboxTar(t))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+root)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if _, err := stdin.Write(data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		entries, _ := os.ReadDir(filepath.Join(root, "images", "tmp"))
		return len(entries) > 0
	})
	cmd.Process.Kill()
	cmd.Wait()

	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if images, err := s.List(); err != nil || len(images) != 0 {
		t.Fatalf("after a crash: images %v, %v; want none", images, err)
	}
	if _, err := s.Prune(context.Background(), PruneOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := countEntries(t, s.tmpDir()); n != 0 {
		t.Errorf("prune left %d temporary files", n)
	}
	importFile(t, s, busyboxTar(t), ImportOptions{Ref: "crash"})
}

// waitFor polls cond; it bounds the wait only to fail instead of hanging.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met in 30s")
}
