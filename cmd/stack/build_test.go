package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProjectBuild drives `stack build` on a busybox project: it builds
// only services with a build section, tags them as up would, uses the
// cache on a second run, honours --build-arg and --no-cache, and names an
// unknown service.
func TestProjectBuild(t *testing.T) {
	e := newLcEnv(t, `
name: NAME
services:
  app:
    build:
      context: ./app
      args: {GREETING: hello}
  plain:
    image: busybox
    command: ["true"]
`)
	app := filepath.Join(e.dir, "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM busybox\nARG GREETING\nCOPY msg.txt /msg.txt\nRUN echo \"$GREETING\" > /greeting\n"
	for name, content := range map[string]string{"Dockerfile": dockerfile, "msg.txt": "from the context\n"} {
		if err := os.WriteFile(filepath.Join(app, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	_, progress, code := e.stack("build")
	if code != 0 {
		t.Fatalf("stack build: exit %d\n%s", code, progress)
	}
	ref := e.project + "-app"
	if got := e.must("container", "run", "--rm", ref, "cat", "/msg.txt", "/greeting"); got != "from the context\nhello\n" {
		t.Errorf("built image holds %q, want the context file and the build arg", got)
	}

	_, progress, _ = e.stack("build", "app")
	if strings.Count(progress, "Using cache") != 3 {
		t.Errorf("second build: want the ARG, COPY and RUN steps from the cache, got:\n%s", progress)
	}

	_, progress, code = e.stack("build", "--build-arg", "GREETING=bonjour")
	if code != 0 {
		t.Fatalf("stack build --build-arg: exit %d\n%s", code, progress)
	}
	if got := e.must("container", "run", "--rm", ref, "cat", "/greeting"); got != "bonjour\n" {
		t.Errorf("--build-arg: /greeting = %q, want bonjour", got)
	}

	_, progress, _ = e.stack("build", "--no-cache", "app")
	if strings.Contains(progress, "Using cache") {
		t.Errorf("--no-cache used the cache:\n%s", progress)
	}

	if _, errOut, code := e.stack("build", "nope"); code == 0 || !strings.Contains(errOut, `no such service: "nope"`) {
		t.Errorf("unknown service: exit %d, stderr %q; want an error naming it", code, errOut)
	}
}
