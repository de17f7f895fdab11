package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stack/planner"
)

const lcRecover = `name: NAME
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    environment: {V: "VALUE"}
    volumes: ["/data"]
`

// TestLifecycleRecoverInterruptedRecreate leaves a recreate the way a
// killed `stack` would, between creating the replacement under its
// temporary name and renaming it, and checks that the next up converges:
// one container under the replica's name, the new configuration, and the
// anonymous volume's content kept.
func TestLifecycleRecoverInterruptedRecreate(t *testing.T) {
	cases := []struct {
		name   string
		steps  []planner.Kind // of the recreate, run before the "crash"
		report string         // what recovery prints
	}{
		{"replaced container still there", []planner.Kind{planner.KindCreateContainer}, "Removed (left by an interrupted recreate"},
		{"replaced container stopped", []planner.Kind{planner.KindCreateContainer, planner.KindStopContainer}, "Removed (left by an interrupted recreate"},
		{"replaced container removed", []planner.Kind{planner.KindCreateContainer, planner.KindStopContainer, planner.KindRemoveContainer}, "Renamed (finishing an interrupted recreate)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newLcEnv(t, strings.ReplaceAll(lcRecover, "VALUE", "1"))
			web := e.project + "-web-1"
			e.must("up", "-d")
			e.must("exec", "-T", "web", "sh", "-c", "echo kept >/data/mark")
			e.write(strings.ReplaceAll(lcRecover, "VALUE", "2"))

			e.interruptRecreate(tc.steps)
			_, report, code := e.stack("up", "-d")
			if code != 0 || !strings.Contains(report, tc.report) {
				t.Errorf("up exited %d and printed %q, want it to say %q", code, report, tc.report)
			}
			got := e.containers()
			if len(got) != 1 || got[web].State != "running" {
				t.Fatalf("after up: %+v, want %s running alone", got, web)
			}
			if out := e.must("exec", "-T", "web", "sh", "-c", "echo $V; cat /data/mark"); out != "2\nkept\n" {
				t.Errorf("web after up: %q, want the new environment and the volume's content", out)
			}
			if out := e.must("plan"); strings.Contains(out, "create") || strings.Contains(out, "remove") {
				t.Errorf("plan after up is not empty:\n%s", out)
			}
		})
	}
}

// interruptRecreate runs the given steps of the plan up would apply, in
// this process and by the executor's own code, and stops there as a killed
// `stack` would.
func (e *lcEnv) interruptRecreate(steps []planner.Kind) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := &globalOptions{Root: e.root, RunRoot: e.run, ProjectDir: e.dir, Files: []string{filepath.Join(e.dir, "stack.yaml")}}
	s, err := openProject(ctx, g, true)
	if err != nil {
		e.t.Fatal(err)
	}
	defer s.close()
	observed, err := s.observe(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	plan, err := planner.Compute(s.project, observed, planner.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	partial := plan.Filter(func(n *planner.Node) bool {
		for _, k := range steps {
			if n.Action.Kind() == k && strings.HasPrefix(n.Group, "recreate ") {
				return true
			}
		}
		return false
	})
	if len(partial.Nodes) != len(steps) {
		e.t.Fatalf("the plan has no recreate with %v:\n%s", steps, plan)
	}
	if _, err := planner.Apply(ctx, partial, s.executor(&bytes.Buffer{}), planner.ApplyOptions{}); err != nil {
		e.t.Fatal(err)
	}
}
