package seccomp

import (
	"slices"
	"strings"
)

// syscallEntry is one row of syscallTable.
type syscallEntry struct {
	name string
	nr   uint32
}

// syscallNumber returns this architecture's number of the system call
// name, if it has one.
func syscallNumber(name string) (uint32, bool) {
	i, ok := slices.BinarySearchFunc(syscallTable[:], name, func(e syscallEntry, name string) int {
		return strings.Compare(e.name, name)
	})
	if !ok {
		return 0, false
	}
	return syscallTable[i].nr, true
}
