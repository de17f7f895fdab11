package planner

import (
	"testing"

	"stack/spec"
)

func TestConfigHash(t *testing.T) {
	base := func() (*spec.Project, *spec.Service) {
		p := newProject(newService("web", "web:1", env("A", "1"), networks("back"),
			mount(spec.VolumeTypeVolume, "data", "/data"),
			func(s *spec.Service) {
				s.Configs = []spec.ServiceFileRef{{Source: "conf"}}
				s.EnvFiles = []spec.EnvFile{{Path: "/srv/demo/.web.env"}}
			}))
		p.Networks["back"] = &spec.Network{}
		p.Volumes["data"] = &spec.Volume{}
		p.Configs = map[string]*spec.Config{"conf": {File: "/srv/demo/app.conf"}}
		return p, p.Services["web"]
	}
	files := map[string]string{"/srv/demo/app.conf": "d1", "/srv/demo/.web.env": "e1"}
	p, s := base()
	want, err := ConfigHash(p, s, "sha256:1", files)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		change  func(p *spec.Project, s *spec.Service) (imageID string, files map[string]string)
		changes bool
	}{
		{"nothing", func(*spec.Project, *spec.Service) (string, map[string]string) { return "sha256:1", files }, false},
		{"scale", func(_ *spec.Project, s *spec.Service) (string, map[string]string) {
			scale(3)(s)
			return "sha256:1", files
		}, false},
		{"replicas", func(_ *spec.Project, s *spec.Service) (string, map[string]string) {
			s.Deploy = &spec.Deploy{Replicas: ptr(2)}
			return "sha256:1", files
		}, false},
		{"build", func(_ *spec.Project, s *spec.Service) (string, map[string]string) { build(s); return "sha256:1", files }, false},
		{"depends_on", func(_ *spec.Project, s *spec.Service) (string, map[string]string) {
			dependsOn("db", spec.ConditionHealthy)(s)
			return "sha256:1", files
		}, false},
		{"profiles", func(_ *spec.Project, s *spec.Service) (string, map[string]string) {
			s.Profiles = []string{"dev"}
			return "sha256:1", files
		}, false},
		{"pull_policy", func(_ *spec.Project, s *spec.Service) (string, map[string]string) {
			s.PullPolicy = "always"
			return "sha256:1", files
		}, false},
		{"x-field", func(_ *spec.Project, s *spec.Service) (string, map[string]string) {
			s.Extensions = spec.Extensions{"x-note": "hi"}
			return "sha256:1", files
		}, false},
		{"environment", func(_ *spec.Project, s *spec.Service) (string, map[string]string) {
			env("A", "2")(s)
			return "sha256:1", files
		}, true},
		{"image ID", func(*spec.Project, *spec.Service) (string, map[string]string) { return "sha256:2", files }, true},
		{"network definition", func(p *spec.Project, _ *spec.Service) (string, map[string]string) {
			p.Networks["back"] = &spec.Network{Internal: true}
			return "sha256:1", files
		}, true},
		{"volume definition", func(p *spec.Project, _ *spec.Service) (string, map[string]string) {
			p.Volumes["data"] = &spec.Volume{Labels: map[string]string{"x": "y"}}
			return "sha256:1", files
		}, true},
		{"config file contents", func(*spec.Project, *spec.Service) (string, map[string]string) {
			return "sha256:1", map[string]string{"/srv/demo/app.conf": "d2", "/srv/demo/.web.env": "e1"}
		}, true},
		{"env_file contents", func(*spec.Project, *spec.Service) (string, map[string]string) {
			return "sha256:1", map[string]string{"/srv/demo/app.conf": "d1", "/srv/demo/.web.env": "e2"}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := base()
			imageID, f := tt.change(p, s)
			got, err := ConfigHash(p, s, imageID, f)
			if err != nil {
				t.Fatal(err)
			}
			if changed := got != want; changed != tt.changes {
				t.Errorf("hash changed = %t, want %t", changed, tt.changes)
			}
		})
	}
}
