package main

import (
	"context"
	"os"
	"os/exec"
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

// TestUpPullsMissingImage: `stack up` pulls a service's image that is not
// in the store, and `up --pull always` asks the registry again.
func TestUpPullsMissingImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	srv := registrytest.Start(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	tarPath := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", tarPath).CombinedOutput(); err != nil {
		t.Skipf("busybox rootfs unavailable: %v\n%s", err, out)
	}
	ref := srv.Addr + "/upapp:v1"
	src := t.TempDir()
	for _, args := range [][]string{{"image", "import", tarPath, ref}, {"image", "push", "-q", ref}} {
		if got := runStack(t, "", append([]string{"--root", src}, args...)...); got.err != nil {
			t.Fatalf("stack %v: %v\n%s", args, got.err, got.stderr)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "stack.yaml")
	yaml := "services:\n  app:\n    image: " + ref + "\n    command: [\"sleep\", \"300\"]\n    network_mode: none\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	runRoot, err := os.MkdirTemp("", "stk") // sockets live here: keep it short
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	project := []string{"--root", root, "--run-root", runRoot, "-f", file, "-p", "regpull" + strings.ReplaceAll(filepath.Base(runRoot), "stk", "")}
	t.Cleanup(func() {
		runStack(t, "", append(project, "down")...)
		os.RemoveAll(runRoot)
	})
	for _, step := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"up", "-d"}, "Status: Downloaded newer image for " + ref},
		{[]string{"up", "-d", "--pull", "always"}, "Status: Image is up to date for " + ref},
	} {
		got := runStack(t, "", append(project, step.args...)...)
		if got.err != nil {
			t.Fatalf("stack %v: %v\n%s", step.args, got.err, got.stderr)
		}
		if !strings.Contains(got.stderr, step.stderr) {
			t.Errorf("stack %v: stderr %q, want it to contain %q", step.args, got.stderr, step.stderr)
		}
	}
	if got := runStack(t, "", append(project, "ps")...); !strings.Contains(got.stdout, ref) {
		t.Errorf("ps after up: %q, want the app running from %s", got.stdout, ref)
	}
}
