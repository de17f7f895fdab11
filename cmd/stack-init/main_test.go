package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSmallDependencies keeps stack-init small: every container start runs
// it, and its start-up grows with the packages it carries. It needs the
// container runtime only, not the command line, the stack file model,
// images, networking or DNS.
func TestSmallDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "stack/cmd/stack-init").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"stack/cmd/stack-init": true, "stack/runtime/container": true,
		"stack/runtime/cgroups": true, "stack/runtime/seccomp": true,
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "stack/") && !allowed[dep] {
			t.Errorf("stack-init imports %s", dep)
		}
		if strings.HasPrefix(dep, "github.com/") || strings.HasPrefix(dep, "gopkg.in/") {
			t.Errorf("stack-init imports %s", dep)
		}
	}
}
