package cgroups

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
