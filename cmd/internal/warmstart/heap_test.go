package warmstart

import (
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
	header, huge := smapsField(t, func(from, to uintptr) bool { return from <= base && base < to }, "AnonHugePages")
	if strings.Fields(huge)[0] == "0" {
		t.Fatalf("heap mapping %s has no huge page", header)
	}
}

func TestFreeHugeBlock(t *testing.T) {
	for text, want := range map[string]bool{
		"": false,
		"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 \n": false,
		"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 \n" +
			"Node 0, zone    DMA32      2      3      0      2      3      2      1      4      4      2    752 \n": true,
		"Node 0, zone   Normal   9431   9587   6234   3006   1381   1021    704    344    311    125      0 \n": true,
		"Node 0, zone   Normal   9431   9587   6234   3006   1381   1021    704    344    311      0      0 \n": false,
		"Node 0, zone   Normal   9431   9587   6234   3006   1381   1021    704    344    311      0      0\n" +
			"Node 1, zone   Normal      1      1      1      1      1      1      1      1      1      0      1": true,
		"Node 0, zone   Normal   1 2 3": false,
	} {
		if got := freeHugeBlock([]byte(text)); got != want {
			t.Errorf("freeHugeBlock(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestContains(t *testing.T) {
	for _, c := range []struct {
		s, sub string
		want   bool
	}{
		{"always madvise [never]\n", "[never]", true},
		{"always [madvise] never\n", "[never]", false},
		{"[never]", "[never]", true},
		{"[neve", "[never]", false},
		{"", "[never]", false},
	} {
		if got := contains([]byte(c.s), c.sub); got != c.want {
			t.Errorf("contains(%q, %q) = %v, want %v", c.s, c.sub, got, c.want)
		}
	}
}
