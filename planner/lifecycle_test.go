package planner

import (
	"context"
	"testing"

	"stack/spec"
)

func TestComputeStopStartGolden(t *testing.T) {
	p := newProject(
		newService("web", "web:1", dependsOn("db", spec.ConditionStarted), scale(2)),
		newService("db", "postgres"),
		newService("cache", "redis:7"),
	)
	m := hostWith(t, p, Options{})
	stop, err := ComputeStop(p, observe(t, m), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "stop", describe(stop))
	if _, err := Apply(context.Background(), stop, m, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if again, _ := ComputeStop(p, observe(t, m), nil, nil); !again.Empty() {
		t.Errorf("stop left running containers:\n%s", again)
	}
	start, err := ComputeStart(p, observe(t, m), []string{"web", "db"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "start", describe(start))
	if _, err := Apply(context.Background(), start, m, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if plan, _ := Compute(p, observe(t, m), Options{Services: []string{"web"}}); !plan.Empty() {
		t.Errorf("after start, up web would still do:\n%s", plan)
	}
	if _, err := ComputeStop(p, observe(t, m), []string{"nope"}, nil); err == nil {
		t.Error("stop of an unknown service succeeded")
	}
}
