package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSmallDependencies keeps stack-monitor small: every container start
// waits for it to start, and its start-up grows with the packages it
// carries. It needs the container runtime, networking and DNS, not the
// command line, the stack file model, images, builds or registries.
func TestSmallDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "stack/cmd/stack-monitor").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"stack/cmd/stack-monitor": true, "stack/cmd/internal/hooks": true, "stack/cmd/internal/initbin": true,
		"stack/runtime/container": true, "stack/runtime/cgroups": true, "stack/runtime/seccomp": true,
		"stack/network": true, "stack/dns": true,
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "stack/") && !allowed[dep] {
			t.Errorf("stack-monitor imports %s", dep)
		}
		for _, heavy := range []string{"github.com/spf13/", "gopkg.in/yaml", "github.com/google/go-containerregistry", "net/http", "compress/"} {
			if strings.HasPrefix(dep, heavy) {
				t.Errorf("stack-monitor imports %s", dep)
			}
		}
	}
}

func TestParseArgs(t *testing.T) {
	root, runRoot, id, err := parseArgs([]string{"--root", "/r", "--run-root", "/rr", "--log-level", "info", "__monitor", "abc"})
	if err != nil || root != "/r" || runRoot != "/rr" || id != "abc" {
		t.Errorf("stack's arguments: got %q %q %q, %v", root, runRoot, id, err)
	}
	for _, bad := range [][]string{
		nil,
		{"__monitor", "abc"},
		{"--root", "/r", "--run-root", "/rr", "abc"},
		{"--root", "/r", "--run-root", "/rr", "__monitor"},
		{"--root", "/r", "--run-root", "/rr", "__monitor", "a", "b"},
		{"--root", "/r", "--run-root", "/rr", "--detach", "__monitor", "a"},
	} {
		if _, _, _, err := parseArgs(bad); err == nil {
			t.Errorf("parseArgs(%q): no error", bad)
		}
	}
}
