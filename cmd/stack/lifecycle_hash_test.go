package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigHashesMatchLabels checks that the hashes `config --hash`
// gets from configHashes are the ones up wrote on the containers.
func TestConfigHashesMatchLabels(t *testing.T) {
	e := newLcEnv(t, lcWebDB)
	e.must("up", "-d")
	g := &globalOptions{Files: []string{filepath.Join(e.dir, "stack.yaml")}, Root: e.root, RunRoot: e.run}
	project, err := loadProject(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := configHashes(context.Background(), g, project)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range e.containers() {
		service := strings.TrimSuffix(strings.TrimPrefix(name, e.project+"-"), "-1")
		want := "com.docker.compose.config-hash=" + hashes[service]
		if !strings.Contains(c.Labels, want) {
			t.Errorf("%s: labels %s lack %s", name, c.Labels, want)
		}
	}
}
