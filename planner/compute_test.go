package planner

import (
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"stack/spec"
)

// webDB is the usual two-service project: web depends on db.
func webDB(webOpts ...serviceOpt) *spec.Project {
	web := append([]serviceOpt{dependsOn("db", spec.ConditionStarted)}, webOpts...)
	return newProject(newService("web", "web:1", web...), newService("db", "redis:7"))
}

func TestComputeGolden(t *testing.T) {
	tests := []struct {
		name    string
		before  *spec.Project // brought up first on an empty host; nil for none
		mutate  func(t *testing.T, m *Memory)
		project *spec.Project
		options Options
	}{
		{name: "create", project: webDB()},
		{name: "noop", before: webDB(), project: webDB()},
		{name: "env-change", before: webDB(), project: webDB(env("DEBUG", "1"))},
		{name: "env-change-no-rename", before: webDB(), project: webDB(env("DEBUG", "1")), options: Options{NoRename: true}},
		{
			name: "image-change", before: webDB(), project: webDB(),
			mutate: func(t *testing.T, m *Memory) { m.state.Images["redis:7"] = "sha256:redis-v2" },
		},
		{
			name: "network-change", before: webDB(), project: func() *spec.Project {
				p := webDB(networks("default", "back"))
				p.Networks["back"] = &spec.Network{Internal: true}
				return p
			}(),
		},
		{name: "scale-up", before: webDB(), project: webDB(scale(3))},
		{name: "scale-up-flag", before: webDB(), project: webDB(), options: Options{Scale: map[string]int{"web": 2}}},
		{name: "scale-down", before: webDB(scale(3)), project: webDB()},
		{name: "scale-zero", before: webDB(), project: webDB(), options: Options{Scale: map[string]int{"db": 0}}},
		{
			name: "orphans-warned", project: webDB(),
			before: newProject(newService("web", "web:1", dependsOn("db", spec.ConditionStarted)), newService("db", "redis:7"), newService("old", "busybox")),
		},
		{
			name: "orphans-removed", project: webDB(), options: Options{RemoveOrphans: true},
			before: newProject(newService("web", "web:1", dependsOn("db", spec.ConditionStarted)), newService("db", "redis:7"), newService("old", "busybox")),
		},
		{name: "force-recreate", before: webDB(), project: webDB(), options: Options{Recreate: RecreateForce}},
		{name: "force-recreate-one", before: webDB(), project: webDB(), options: Options{Recreate: RecreateForce, Services: []string{"web"}}},
		{name: "always-recreate-deps", before: webDB(), project: webDB(), options: Options{Recreate: RecreateForce, RecreateDeps: RecreateForce, Services: []string{"web"}}},
		{name: "no-recreate", before: webDB(), project: webDB(env("DEBUG", "1")), options: Options{Recreate: RecreateNever, RecreateDeps: RecreateNever}},
		{
			name: "no-recreate-starts-stopped", before: webDB(), project: webDB(env("DEBUG", "1")),
			options: Options{Recreate: RecreateNever, RecreateDeps: RecreateNever},
			mutate:  func(t *testing.T, m *Memory) { setState(t, m, "demo-web-1", StateExited, 137) },
		},
		{
			name: "start-stopped", before: webDB(), project: webDB(),
			mutate: func(t *testing.T, m *Memory) {
				setState(t, m, "demo-db-1", StateExited, 1)
				setState(t, m, "demo-web-1", StateCreated, 0)
			},
		},
		{name: "services-subset", before: webDB(), project: func() *spec.Project {
			p := webDB(env("A", "1"))
			p.Services["db"].Environment = map[string]*string{"B": ptr("2")}
			p.Services["cache"] = newService("cache", "memcached")
			return p
		}(), options: Options{Services: []string{"web"}}},
		{name: "no-deps", project: webDB(), options: Options{Services: []string{"web"}, NoDeps: true}},
		{name: "no-start", project: webDB(), options: Options{NoStart: true}},
		{name: "dependency-conditions", project: newProject(
			newService("web", "web:1", dependsOn("db", spec.ConditionHealthy), dependsOn("migrate", spec.ConditionCompletedSuccessfully), dependsOn("cache", spec.ConditionStarted, optional)),
			newService("worker", "web:1", dependsOn("db", spec.ConditionHealthy)),
			newService("migrate", "web:1", dependsOn("db", spec.ConditionHealthy)),
			newService("db", "postgres", healthcheck()),
			newService("cache", "redis:7", scale(2)),
		)},
		{name: "restart-dependents", before: newProject(
			newService("web", "web:1", dependsOn("db", spec.ConditionStarted, restartDep)), newService("db", "redis:7"),
		), project: newProject(
			newService("web", "web:1", dependsOn("db", spec.ConditionStarted, restartDep)), newService("db", "redis:7", env("X", "1")),
		)},
		{name: "completed-dependency-kept", before: newProject(
			newService("web", "web:1", dependsOn("migrate", spec.ConditionCompletedSuccessfully)), newService("migrate", "web:1"),
		), project: newProject(
			newService("web", "web:1", env("A", "1"), dependsOn("migrate", spec.ConditionCompletedSuccessfully)), newService("migrate", "web:1"),
		)},
		{name: "volumes", project: func() *spec.Project {
			p := newProject(newService("db", "postgres", mount(spec.VolumeTypeVolume, "data", "/var/lib/data"),
				mount(spec.VolumeTypeVolume, "", "/cache"), mount(spec.VolumeTypeVolume, "shared", "/shared")))
			p.Volumes["data"] = &spec.Volume{}
			p.Volumes["shared"] = &spec.Volume{External: true, Name: "shared-data"}
			return p
		}(), mutate: func(t *testing.T, m *Memory) {
			m.state.Volumes = map[string]Volume{"shared-data": {Name: "shared-data"}}
		}},
		{name: "build", before: newProject(newService("app", "", build)), project: newProject(newService("app", "", build)), options: Options{Build: true}},
		{name: "build-missing", project: newProject(newService("app", "", build), newService("other", "", build))},
		{name: "pull-always", before: webDB(), project: webDB(), options: Options{Pull: "always"}},
		{name: "timeout", before: webDB(), project: newProject(newService("db", "redis:7")), options: Options{RemoveOrphans: true, Timeout: ptr(3 * time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m *Memory
			if tt.before != nil {
				m = hostWith(t, tt.before, Options{})
			} else {
				m = NewMemory(&Observed{Images: map[string]string{}})
				for _, name := range tt.project.ServiceNames() {
					if s := tt.project.Services[name]; s.Build == nil {
						m.state.Images[ImageRef(tt.project, s)] = "sha256:" + name + "-v1"
					}
				}
			}
			if tt.mutate != nil {
				tt.mutate(t, m)
			}
			plan, err := Compute(tt.project, observe(t, m), tt.options)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			golden(t, tt.name, describe(plan))
			again, err := Compute(tt.project, observe(t, m), tt.options)
			if err != nil || again.String() != plan.String() {
				t.Errorf("Compute is not deterministic:\n%s\nthen\n%s", plan, again)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestComputeErrors(t *testing.T) {
	external := newProject(newService("web", "web:1", networks("outside")))
	external.Networks["outside"] = &spec.Network{External: true}
	tests := []struct {
		name    string
		project *spec.Project
		options Options
		want    error
	}{
		{"unknown service", webDB(), Options{Services: []string{"nope"}}, ErrNoSuchService},
		{"external network missing", external, Options{}, ErrExternalMissing},
		{"cycle", newProject(newService("a", "x", dependsOn("b", spec.ConditionStarted)), newService("b", "x", dependsOn("a", spec.ConditionStarted))), Options{}, ErrDependencyCycle},
		{"container_name scaled", newProject(newService("a", "x", func(s *spec.Service) { s.ContainerName = "fixed" })), Options{Scale: map[string]int{"a": 2}}, ErrScale},
		{"pull never", webDB(), Options{Pull: "never"}, ErrImageMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.project, &Observed{}, tt.options)
			if !errors.Is(err, tt.want) {
				t.Errorf("Compute error = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestCreateStartName: a create says under which name the plan starts the
// container (the executor starts its monitor early for it), and only when
// the plan does start it.
func TestCreateStartName(t *testing.T) {
	tests := []struct {
		name    string
		before  *spec.Project
		project *spec.Project
		options Options
		want    []string // "<create name> -> <start name>"
	}{
		{name: "create", project: webDB(), want: []string{"demo-db-1 -> demo-db-1", "demo-web-1 -> demo-web-1"}},
		{name: "no-start", project: webDB(), options: Options{NoStart: true}, want: []string{"demo-db-1 -> ", "demo-web-1 -> "}},
		{name: "recreate", before: webDB(), project: webDB(env("DEBUG", "1")), want: []string{"<temp>_demo-web-1 -> demo-web-1"}},
		{name: "recreate-no-rename", before: webDB(), project: webDB(env("DEBUG", "1")), options: Options{NoRename: true}, want: []string{"demo-web-1 -> demo-web-1"}},
		{name: "recreate-no-start", before: webDB(), project: webDB(env("DEBUG", "1")), options: Options{NoStart: true}, want: []string{"<temp>_demo-web-1 -> "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m *Memory
			if tt.before != nil {
				m = hostWith(t, tt.before, Options{})
			} else {
				m = NewMemory(&Observed{Images: map[string]string{"web:1": "sha256:web", "redis:7": "sha256:db"}})
			}
			plan, err := Compute(tt.project, observe(t, m), tt.options)
			if err != nil {
				t.Fatal(err)
			}
			starts := map[string]bool{}
			for _, n := range plan.Nodes {
				if a, ok := n.Action.(StartContainer); ok {
					starts[a.Name] = true
				}
			}
			var got []string
			for _, n := range plan.Nodes {
				a, ok := n.Action.(CreateContainer)
				if !ok {
					continue
				}
				name := a.Name
				if a.Inherit != nil && name != a.Inherit.Name {
					name = "<temp>_" + name[13:]
				}
				got = append(got, name+" -> "+a.StartName)
				if a.StartName != "" && !starts[a.StartName] {
					t.Errorf("create %s: StartName %q, but the plan starts no such container", a.Name, a.StartName)
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
