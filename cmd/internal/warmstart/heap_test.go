package warmstart

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// TestHeapStartIsHuge checks on this kernel that the init left the heap's
// first two megabytes in one huge page, where the kernel offers them.
func TestHeapStartIsHuge(t *testing.T) {
	enabled, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(enabled), "[never]") {
		t.Skip("no transparent huge pages on this kernel")
	}
	if v := os.Getenv("GODEBUG"); disabled(v) {
		t.Skipf("GODEBUG=%s turns huge pages off", v)
	}
	if marker == nil {
		t.Fatal("init did not run")
	}
	base := uintptr(unsafe.Pointer(marker)) &^ (hugePage - 1)
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var inside bool
	for _, line := range strings.Split(string(smaps), "\n") {
		var from, to uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &from, &to); n == 2 {
			inside = from <= base && base < to
			continue
		}
		if inside && strings.HasPrefix(line, "AnonHugePages:") {
			if strings.Fields(line)[1] == "0" {
				t.Fatalf("heap mapping at %#x has no huge page: %s", base, line)
			}
			return
		}
	}
	t.Fatalf("no mapping holds the heap start %#x", base)
}
