package seccomp

import "testing"

// syscallNumber searches the table by halves: it must be sorted, without
// duplicates, for every name to be found.
func TestSyscallTable(t *testing.T) {
	for i, e := range syscallTable {
		if i > 0 && syscallTable[i-1].name >= e.name {
			t.Errorf("syscallTable: %q after %q: not sorted by name", e.name, syscallTable[i-1].name)
		}
		if nr, ok := syscallNumber(e.name); !ok || nr != e.nr {
			t.Errorf("syscallNumber(%q) = %d, %v; want %d", e.name, nr, ok, e.nr)
		}
	}
	if _, ok := syscallNumber("no_such_call"); ok {
		t.Error("syscallNumber of an unknown name: found")
	}
}
