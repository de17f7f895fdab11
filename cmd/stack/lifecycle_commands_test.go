package main

import (
	"strings"
	"testing"
)

// TestLifecycleCommands drives the day-to-day commands on a running project.
func TestLifecycleCommands(t *testing.T) {
	e := newLcEnv(t, lcPair)
	web, db := e.project+"-web-1", e.project+"-db-1"
	e.must("up", "-d")

	if _, _, code := e.stack("exec", "-T", "web", "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("exec exit code %d, want 7", code)
	}
	if out := e.must("exec", "-T", "-e", "X=42", "web", "sh", "-c", "echo $X"); out != "42\n" {
		t.Errorf("exec -e: %q", out)
	}
	out, _, code := e.stack("run", "--rm", "-T", "-e", "Y=run", "web", "sh", "-c", "echo $Y; exit 3")
	if code != 3 || out != "run\n" {
		t.Errorf("run --rm: exit %d, output %q; want 3 and \"run\\n\"", code, out)
	}
	if got := e.containers(); len(got) != 2 {
		t.Errorf("run --rm left a container: %v", got)
	}
	if ls := e.must("ls"); !strings.Contains(ls, e.project) || !strings.Contains(ls, "running(2)") {
		t.Errorf("ls:\n%s", ls)
	}
	if svcs := e.must("ps", "--services"); svcs != "db\nweb\n" {
		t.Errorf("ps --services: %q", svcs)
	}

	e.must("stop", "-t", "0")
	if got := e.must("ps", "-q"); got != "" {
		t.Errorf("ps after stop lists running containers: %q", got)
	}
	if got := e.containers(); got[web].State != "exited" || got[db].State != "exited" {
		t.Errorf("after stop: %+v", got)
	}
	e.must("start", "web")
	if got := e.containers(); got[web].State != "running" || got[db].State != "exited" {
		t.Errorf("start web started its dependency or not web: %+v", got)
	}
	e.must("restart", "-t", "0")
	if got := e.containers(); got[web].State != "running" || got[db].State != "running" {
		t.Errorf("after restart: %+v", got)
	}
	e.must("kill", "web")
	if code := e.must("wait", "web"); code != "137\n" {
		t.Errorf("wait after kill: %q, want 137", code)
	}
	e.must("rm", "--force")
	if got := e.containers(); len(got) != 1 || got[db].State != "running" {
		t.Errorf("after kill web and rm: %+v", got)
	}
}
