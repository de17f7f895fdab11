package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const lcRunVolumes = `name: NAME
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
volumes:
  shared: {}
`

// TestLifecycleRunVolumes mounts volumes into one-off containers with
// run -v, on a project that was never up: run creates the network and the
// named volume itself.
func TestLifecycleRunVolumes(t *testing.T) {
	e := newLcEnv(t, lcRunVolumes)
	volumes := func() string { return e.must("volume", "ls", "-q") }

	if out := e.must("run", "--rm", "-T", "-v", "shared:/s", "web", "sh", "-c", "echo named >/s/f; cat /s/f"); out != "named\n" {
		t.Errorf("run -v shared:/s: %q", out)
	}
	if out := e.must("run", "--rm", "-T", "-v", "shared:/s:ro", "web", "cat", "/s/f"); out != "named\n" {
		t.Errorf("the named volume lost its content: %q", out)
	}
	if _, stderr, code := e.stack("run", "--rm", "-T", "-v", "shared:/s:ro", "web", "touch", "/s/g"); code == 0 || !strings.Contains(stderr, "Read-only") {
		t.Errorf("write to a :ro volume: exit %d, stderr %q", code, stderr)
	}

	before := volumes()
	if out := e.must("run", "--rm", "-T", "-v", "/data", "web", "sh", "-c", "echo anon >/data/f; grep -c ' /data ' /proc/mounts; cat /data/f"); out != "1\nanon\n" {
		t.Errorf("run -v /data: %q", out)
	}
	if after := volumes(); after != before {
		t.Errorf("run --rm left its anonymous volume: %q, was %q", after, before)
	}
	// Without --rm the anonymous volume stays with its container until rm -v.
	name := e.project + "-keep"
	e.must("run", "--name", name, "-T", "-v", "/data", "web", "sh", "-c", "echo kept >/data/f")
	if after := volumes(); len(strings.Fields(after)) != len(strings.Fields(before))+1 {
		t.Errorf("run without --rm: volumes %q, want one more than %q", after, before)
	}
	e.must("container", "rm", "-v", name)
	if after := volumes(); after != before {
		t.Errorf("rm -v left the anonymous volume: %q, was %q", after, before)
	}

	if out := e.must("run", "--rm", "-T", "-v", "./host/dir:/h", "web", "sh", "-c", "echo bound >/h/f"); out != "" {
		t.Errorf("run -v ./host/dir:/h printed %q", out)
	}
	if data, err := os.ReadFile(filepath.Join(e.dir, "host", "dir", "f")); err != nil || string(data) != "bound\n" {
		t.Errorf("bind mount relative to the project directory: %q, %v", data, err)
	}

	// --rm leaves nothing behind even when the container cannot start.
	before = volumes()
	if _, _, code := e.stack("run", "--rm", "-T", "-v", "/data", "web", "/no/such/command"); code == 0 {
		t.Error("run of a missing command succeeded")
	}
	if got := e.must("container", "ls", "-a", "-q"); got != "" {
		t.Errorf("run --rm of a container that failed to start left %q", got)
	}
	if after := volumes(); after != before {
		t.Errorf("run --rm of a container that failed to start left its volume: %q, was %q", after, before)
	}

	for _, tc := range []struct{ flag, want string }{
		{"undeclared:/x", `-v "undeclared:/x": volume "undeclared" is not declared`},
		{"shared:relative", `target "relative": expected an absolute path`},
		{"/a:/b:bogus", `unknown option "bogus"`},
		{"shared:/x:z", "option z: applies to bind mounts only"},
		{"a:/b:ro:x", "too many colons"},
	} {
		if _, stderr, code := e.stack("run", "--rm", "-T", "-v", tc.flag, "web", "true"); code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("run -v %s: exit %d, stderr %q; want exit 1 and %q", tc.flag, code, stderr, tc.want)
		}
	}
}
