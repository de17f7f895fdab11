package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stack/runtime/image"
	"stack/runtime/registry/registrytest"
)

// TestProjectPushPull pushes what a project builds and pulls what it names,
// through the stack file.
func TestProjectPushPull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	srv := registrytest.Start(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	dir := t.TempDir()
	for _, sub := range []string{"web", "local"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sub, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "stack.yaml")
	yaml := strings.ReplaceAll(`services:
  app:
    image: REG/app:v1
  web:
    build: ./web
    image: REG/web:v1
  local:
    build: ./local
`, "REG", srv.Addr)
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	src, dst := t.TempDir(), t.TempDir()
	store, err := image.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	img := registryTestImage(t)
	for _, ref := range []string{srv.Addr + "/app:v1", srv.Addr + "/web:v1"} {
		if _, err := store.Put(context.Background(), img, ref); err != nil {
			t.Fatal(err)
		}
	}
	if got := runStack(t, "", "--root", src, "image", "push", srv.Addr+"/app:v1"); got.err != nil {
		t.Fatalf("image push: %v\n%s", got.err, got.stderr)
	}

	got := runStack(t, "", "-f", file, "--root", src, "push")
	if got.err != nil {
		t.Fatalf("push: %v\n%s", got.err, got.stderr)
	}
	if !strings.Contains(got.stdout, srv.Addr+"/web@sha256:") || strings.Contains(got.stdout, "/app@") {
		t.Errorf("push printed %q; want web pushed (built and named) and not app (not built)", got.stdout)
	}

	got = runStack(t, "", "-f", file, "--root", dst, "pull")
	if got.err != nil {
		t.Fatalf("pull: %v\n%s", got.err, got.stderr)
	}
	pulled, err := image.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{srv.Addr + "/app:v1", srv.Addr + "/web:v1"} {
		if _, err := pulled.Get(ref); err != nil {
			t.Errorf("after pull, %s: %v", ref, err)
		}
	}
	got = runStack(t, "", "-f", file, "--root", dst, "pull", "--policy", "missing")
	if got.err != nil || strings.Contains(got.stderr, "Pulling") {
		t.Errorf("pull --policy missing with everything present: %v, stderr %q; want nothing pulled", got.err, got.stderr)
	}
	got = runStack(t, "", "-f", file, "--root", dst, "pull", "nosuch")
	if got.err == nil || !strings.Contains(got.stderr, `no such service: "nosuch"`) {
		t.Errorf("pull nosuch: %v, stderr %q; want no such service", got.err, got.stderr)
	}
}
