package warmstart

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestMappingOf(t *testing.T) {
	maps := []byte("00400000-00b1a000 r-xp 00000000 fe:00 123 /bin/stack\n" +
		"00b1a000-01f07000 r--p 0071a000 fe:00 123 /bin/stack\n" +
		"c000000000-c000400000 rw-p 00000000 00:00 0\n" +
		"garbage line\n" +
		"7ffd74845000-7ffd74866000 rw-p 00000000 00:00 0 [stack]")
	for _, c := range []struct {
		addr       uintptr
		start, end uintptr
		ok         bool
	}{
		{0x400000, 0x400000, 0xb1a000, true},
		{0x4916a0, 0x400000, 0xb1a000, true},
		{0xb1a000, 0xb1a000, 0x1f07000, true},
		{0xc000001234, 0xc000000000, 0xc000400000, true},
		{0x7ffd74865fff, 0x7ffd74845000, 0x7ffd74866000, true},
		{0x1f07000, 0, 0, false},
		{0x3ff000, 0, 0, false},
	} {
		start, end, ok := mappingOf(maps, c.addr)
		if start != c.start || end != c.end || ok != c.ok {
			t.Errorf("mappingOf(%#x) = %#x, %#x, %v; want %#x, %#x, %v", c.addr, start, end, ok, c.start, c.end, c.ok)
		}
	}
}

// TestTextPopulated checks on this kernel that the init found the code's
// mapping and that every page of it is mapped in this process.
func TestTextPopulated(t *testing.T) {
	if textStart == 0 {
		t.Fatal("the init did not populate the code's mapping")
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	header, rss := smapsField(t, func(from, to uintptr) bool { return from == textStart && to == textEnd }, "Rss")
	if !strings.Contains(header, " r-xp ") || !strings.HasSuffix(header, exe) {
		t.Fatalf("populated mapping is not the executable's code: %s", header)
	}
	var kib uint64
	fmt.Sscanf(rss, "%d", &kib)
	if size := uint64(textEnd-textStart) >> 10; kib < size {
		t.Fatalf("code mapping %s holds %d of %d KiB", header, kib, size)
	}
}
