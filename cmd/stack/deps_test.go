package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection enforces the import rules of the architecture:
// spec knows nothing of the kernel, planner never touches the runtime, and
// runtime, network and dns stand apart from each other and from the stack
// file model.
func TestDependencyDirection(t *testing.T) {
	forbidden := map[string][]string{
		"spec":    {"stack/planner", "stack/runtime", "stack/network", "stack/dns"},
		"planner": {"stack/runtime", "stack/network", "stack/dns"},
		"runtime": {"stack/spec", "stack/planner", "stack/network", "stack/dns"},
		"network": {"stack/spec", "stack/planner", "stack/runtime", "stack/dns"},
		"dns":     {"stack/spec", "stack/planner", "stack/runtime", "stack/network"},
	}
	for dir, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "stack/"+dir+"/...").CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", dir, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if dep == b || strings.HasPrefix(dep, b+"/") {
					t.Errorf("package tree %s imports %s; the architecture forbids it", dir, dep)
				}
			}
		}
	}
}
