package cgroups

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateLimitDestroy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "stack/test-" + hex.EncodeToString(b)
	c, err := Create(name, Limits{MemoryBytes: 64 << 20, CPUs: 0.5, Pids: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Destroy() })
	want := map[string]string{"pids.max": "20"}
	if c.Unified {
		want["memory.max"], want["cpu.max"] = "67108864", "50000 100000"
	} else {
		want["memory.limit_in_bytes"], want["cpu.cfs_quota_us"] = "67108864", "50000"
	}
	for file, value := range want {
		dir := c.Paths[""]
		if !c.Unified {
			dir = c.Paths[strings.Split(file, ".")[0]]
			if strings.HasPrefix(file, "cpu.") {
				dir = c.Paths["cpu"]
			}
		}
		got, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || strings.TrimSpace(string(got)) != value {
			t.Errorf("%s: got %q (%v), want %q", file, got, err, value)
		}
	}
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	if err := c.Add(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	if pids := c.Pids(); !slices.Contains(pids, cmd.Process.Pid) {
		t.Errorf("pids %v lack %d", pids, cmd.Process.Pid)
	}
	if s := c.Stats(); s.Pids != 1 || s.MemoryLimit != 64<<20 {
		t.Errorf("stats: %+v", s)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range c.Paths {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s survived Destroy", dir)
		}
	}
}

func TestFreezeThaw(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	b := make([]byte, 6)
	rand.Read(b)
	c, err := Create("stack/test-"+hex.EncodeToString(b), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Destroy() })
	counter := filepath.Join(t.TempDir(), "counter")
	// The shell waits for its own line on stdin, so that it joins the
	// group before it counts.
	cmd := exec.Command("sh", "-c", `read go; i=0; while :; do i=$((i+1)); echo $i >`+counter+`; done`)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := c.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	stdin.Write([]byte("go\n"))
	waitChange(t, counter, "")

	if c.Frozen() || Frozen(c.Name) {
		t.Fatal("a fresh group reports frozen")
	}
	if err := c.Freeze(); err != nil {
		t.Fatal(err)
	}
	if !c.Frozen() || !Frozen(c.Name) {
		t.Fatal("Frozen() = false after Freeze")
	}
	frozenAt := readTrim(counter)
	time.Sleep(100 * time.Millisecond)
	if got := readTrim(counter); got != frozenAt {
		t.Fatalf("counter moved while frozen: %s → %s", frozenAt, got)
	}
	if err := c.Thaw(); err != nil {
		t.Fatal(err)
	}
	if c.Frozen() || Frozen(c.Name) {
		t.Fatal("Frozen() = true after Thaw")
	}
	waitChange(t, counter, frozenAt)

	// Destroy of a frozen group must not hang on tasks that cannot die.
	if err := c.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range c.Paths {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s survived Destroy", dir)
		}
	}
}

func TestFreezeWithoutGroup(t *testing.T) {
	c := Open("stack/test-missing-" + strings.Repeat("0", 12))
	if err := c.Freeze(); !errors.Is(err, ErrNoFreezer) {
		t.Errorf("Freeze of a missing group: got %v, want ErrNoFreezer", err)
	}
	if err := c.Thaw(); err != nil {
		t.Errorf("Thaw of a missing group: got %v, want nil", err)
	}
	if c.Frozen() {
		t.Error("a missing group reports frozen")
	}
}

// waitChange waits until the file holds something other than old.
func waitChange(t *testing.T, path, old string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got := readTrim(path); got != "" && got != old {
			return
		}
	}
	t.Fatalf("%s never changed from %q", path, old)
}
