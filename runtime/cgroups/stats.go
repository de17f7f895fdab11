package cgroups

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stats is a snapshot of a group's usage.
type Stats struct {
	MemoryBytes int64 // current usage, page cache excluded as Docker shows it
	MemoryLimit int64 // 0 when unlimited
	CPUNanos    uint64
	Pids        int64
	OOMKills    int64
}

// Stats reads the group's counters; counters a host lacks stay zero.
func (c *Cgroup) Stats() Stats {
	var s Stats
	if c.Unified {
		dir := c.Paths[""]
		s.MemoryBytes = readInt(filepath.Join(dir, "memory.current")) - keyed(filepath.Join(dir, "memory.stat"), "inactive_file")
		s.MemoryLimit = readInt(filepath.Join(dir, "memory.max"))
		s.CPUNanos = uint64(keyed(filepath.Join(dir, "cpu.stat"), "usage_usec")) * 1000
		s.Pids = readInt(filepath.Join(dir, "pids.current"))
		s.OOMKills = keyed(filepath.Join(dir, "memory.events"), "oom_kill")
		return s
	}
	mem := c.Paths["memory"]
	s.MemoryBytes = readInt(filepath.Join(mem, "memory.usage_in_bytes")) - keyed(filepath.Join(mem, "memory.stat"), "total_inactive_file")
	if limit := readInt(filepath.Join(mem, "memory.limit_in_bytes")); limit < 1<<60 {
		s.MemoryLimit = limit
	}
	s.CPUNanos = uint64(readInt(filepath.Join(c.Paths["cpuacct"], "cpuacct.usage")))
	s.Pids = readInt(filepath.Join(c.Paths["pids"], "pids.current"))
	s.OOMKills = keyed(filepath.Join(mem, "memory.oom_control"), "oom_kill")
	return s
}

func readInt(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return n
}

// keyed reads "key value" lines such as memory.stat.
func keyed(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
