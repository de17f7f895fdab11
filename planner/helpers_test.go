package planner

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stack/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/<name>.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("plan %s:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// describe is what a golden file holds: the plan and its summary.
func describe(p *Plan) string {
	var b strings.Builder
	b.WriteString(p.String())
	b.WriteString("--\n")
	for _, s := range p.Services {
		fmt.Fprintf(&b, "%s: create %d, recreate %d, start %d, remove %d, unchanged %d\n",
			s.Service, s.Create, s.Recreate, s.Start, s.Remove, s.Unchanged)
	}
	for _, step := range p.Steps() {
		fmt.Fprintf(&b, "step: %s\n", step)
	}
	return b.String()
}

type serviceOpt func(*spec.Service)

func newService(name, image string, opts ...serviceOpt) *spec.Service {
	s := &spec.Service{Name: name, Image: image}
	for _, o := range opts {
		o(s)
	}
	return s
}

func env(k, v string) serviceOpt {
	return func(s *spec.Service) {
		if s.Environment == nil {
			s.Environment = map[string]*string{}
		}
		s.Environment[k] = &v
	}
}

func scale(n int) serviceOpt { return func(s *spec.Service) { s.Scale = &n } }

func dependsOn(dep, condition string, opts ...func(*spec.DependsOn)) serviceOpt {
	return func(s *spec.Service) {
		if s.DependsOn == nil {
			s.DependsOn = map[string]spec.DependsOn{}
		}
		d := spec.DependsOn{Condition: condition, Required: true}
		for _, o := range opts {
			o(&d)
		}
		s.DependsOn[dep] = d
	}
}

func optional(d *spec.DependsOn)   { d.Required = false }
func restartDep(d *spec.DependsOn) { d.Restart = true }
func healthcheck() serviceOpt {
	return func(s *spec.Service) { s.Healthcheck = &spec.Healthcheck{Test: []string{"CMD", "true"}} }
}

func networks(keys ...string) serviceOpt {
	return func(s *spec.Service) {
		s.Networks = map[string]*spec.ServiceNetwork{}
		for _, k := range keys {
			s.Networks[k] = nil
		}
	}
}

func mount(typ, source, target string) serviceOpt {
	return func(s *spec.Service) {
		s.Volumes = append(s.Volumes, spec.ServiceVolume{Type: typ, Source: source, Target: target})
	}
}

func build(s *spec.Service) { s.Build = &spec.BuildConfig{Context: "/src/" + s.Name} }

func newProject(services ...*spec.Service) *spec.Project {
	p := &spec.Project{
		Name:         "demo",
		WorkingDir:   "/srv/demo",
		ComposeFiles: []string{"/srv/demo/stack.yaml"},
		Services:     map[string]*spec.Service{},
		Networks:     map[string]*spec.Network{},
		Volumes:      map[string]*spec.Volume{},
	}
	for _, s := range services {
		p.Services[s.Name] = s
	}
	return p
}

// hostWith is a Memory host where the project has been brought up.
func hostWith(t *testing.T, p *spec.Project, options Options) *Memory {
	t.Helper()
	m := NewMemory(&Observed{Images: map[string]string{}})
	for _, name := range p.ServiceNames() {
		if s := p.Services[name]; s.Build == nil {
			m.state.Images[ImageRef(p, s)] = "sha256:" + name + "-v1"
		}
	}
	if _, err := Up(context.Background(), p, m, m, options, ApplyOptions{}); err != nil {
		t.Fatalf("up: %v", err)
	}
	return m
}

func observe(t *testing.T, m *Memory) *Observed {
	t.Helper()
	o, err := m.Observe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// setState changes the state of the named container on the Memory host.
func setState(t *testing.T, m *Memory, name string, state State, code int) {
	t.Helper()
	i := m.find(name)
	if i < 0 {
		t.Fatalf("no container %s", name)
	}
	m.state.Containers[i].State = state
	m.state.Containers[i].ExitCode = code
}
