package warmstart

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestDisabled(t *testing.T) {
	for godebug, want := range map[string]bool{
		"":                             false,
		"disablethp=1":                 true,
		"disablethp=0":                 false,
		"gctrace=1,disablethp=1":       true,
		"disablethp=1,gctrace=1":       true,
		"madvdontneed=1,disablethp=10": false,
	} {
		if got := disabled(godebug); got != want {
			t.Errorf("disabled(%q) = %v, want %v", godebug, got, want)
		}
	}
}

// smapsField finds in this process's /proc/self/smaps the first mapping
// whose bounds satisfy holds and returns its header line and the value of
// its field (as "Rss"); it fails the test if there is none.
func smapsField(t *testing.T, holds func(from, to uintptr) bool, field string) (header, value string) {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(smaps), "\n") {
		var from, to uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &from, &to); n == 2 {
			header = ""
			if holds(from, to) {
				header = line
			}
			continue
		}
		if header != "" && strings.HasPrefix(line, field+":") {
			return header, strings.TrimSpace(strings.TrimPrefix(line, field+":"))
		}
	}
	t.Fatalf("no mapping of /proc/self/smaps is the one looked for, with a field %s", field)
	return "", ""
}
