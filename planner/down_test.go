package planner

import (
	"context"
	"testing"

	"stack/spec"
)

func TestComputeDownGolden(t *testing.T) {
	withVolume := func() *spec.Project {
		p := newProject(
			newService("web", "web:1", dependsOn("db", spec.ConditionStarted), scale(2)),
			newService("db", "postgres", mount(spec.VolumeTypeVolume, "data", "/data")),
			newService("app", "", build),
		)
		p.Volumes["data"] = &spec.Volume{}
		p.Volumes["ext"] = &spec.Volume{External: true}
		return p
	}
	tests := []struct {
		name    string
		before  *spec.Project
		project *spec.Project
		options DownOptions
	}{
		{name: "down", before: withVolume(), project: withVolume()},
		{name: "down-volumes-images", before: withVolume(), project: withVolume(), options: DownOptions{Volumes: true, Images: "local"}},
		{name: "down-rmi-all", before: withVolume(), project: withVolume(), options: DownOptions{Images: "all"}},
		{name: "down-orphans-warned", before: withVolume(), project: newProject(newService("db", "postgres"))},
		{name: "down-orphans", before: withVolume(), project: newProject(newService("db", "postgres")), options: DownOptions{RemoveOrphans: true}},
		{name: "down-nothing", project: withVolume()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(nil)
			if tt.before != nil {
				m = hostWith(t, tt.before, Options{})
			}
			plan, err := ComputeDown(tt.project, observe(t, m), tt.options)
			if err != nil {
				t.Fatalf("ComputeDown: %v", err)
			}
			golden(t, tt.name, describe(plan))
			if _, err := Apply(context.Background(), plan, m, ApplyOptions{}); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			again, err := ComputeDown(tt.project, observe(t, m), tt.options)
			if err != nil {
				t.Fatal(err)
			}
			if again.Filter(func(*Node) bool { return true }).String() != warningsOnly(again) {
				t.Errorf("down is not complete; a second down plans:\n%s", again)
			}
		})
	}
}

// warningsOnly is what a plan without nodes prints.
func warningsOnly(p *Plan) string { return (&Plan{Warnings: p.Warnings}).String() }
