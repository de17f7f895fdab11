package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestContainerRename(t *testing.T) {
	e := newContainerTestEnv(t)
	net := fmt.Sprintf("rn%d", os.Getpid())
	e.ok("network", "create", net)
	t.Cleanup(func() {
		e.stack("container", "rm", "-f", "rnnew", "rnold")
		e.stack("network", "rm", net)
	})
	e.ok("container", "run", "-d", "--name", "rnold", "--network", net, "busybox", "sleep", "1000")
	e.ok("container", "create", "--network", "none", "--name", "rntaken", "busybox", "true")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rnold", "rntaken"}, "already in use"},
		{[]string{"rnold", "bad/name"}, "expected [a-zA-Z0-9]"},
		{[]string{"rnmissing", "rnfree"}, "no such container"},
		{[]string{"rnold"}, "accepts 2 arg"},
	} {
		if _, errOut, code := e.stack(append([]string{"container", "rename"}, tc.args...)...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("rename %v: exit %d, stderr %q, want an error with %q", tc.args, code, errOut, tc.want)
		}
	}

	e.ok("container", "rename", "rnold", "rnnew")
	if got := e.inspect("rnnew")["name"]; got != "rnnew" {
		t.Errorf("inspect rnnew: name %v", got)
	}
	if st := e.state("rnnew"); st["status"] != "running" {
		t.Errorf("renamed container: state %v, want running", st)
	}
	if _, _, code := e.stack("container", "inspect", "rnold"); code == 0 {
		t.Error("the old name still finds the container")
	}
	// Its network peers find it under the new name only.
	if out := e.ok("container", "run", "--rm", "--network", net, "busybox", "nslookup", "rnnew"); !strings.Contains(out, "Name:\trnnew") {
		t.Errorf("nslookup rnnew:\n%s", out)
	}
	if out, _, _ := e.stack("container", "run", "--rm", "--network", net, "busybox", "nslookup", "rnold"); !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("nslookup rnold after the rename:\n%s", out)
	}
	// The old name is free for a new container.
	e.ok("container", "create", "--network", "none", "--name", "rnold", "busybox", "true")
}
