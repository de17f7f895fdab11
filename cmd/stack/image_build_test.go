package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestImageBuildCLI drives `stack image build` the way a user does: build,
// run the result, rebuild from the cache with -q, a Dockerfile on stdin, and
// a failing step.
func TestImageBuildCLI(t *testing.T) {
	e := newContainerTestEnv(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "greeting"), []byte("hello from the image\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nCOPY greeting /\nRUN wc -c < /greeting > /size\nCMD [\"cat\", \"/greeting\", \"/size\"]\n"), 0o644)

	_, log, code := e.stack("image", "build", "-t", "greeter:1", dir)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, log)
	}
	for _, want := range []string{"Step 1/4 : FROM busybox", "Step 3/4 : RUN wc -c < /greeting > /size", "Successfully built ", "Successfully tagged greeter:1"} {
		if !strings.Contains(log, want) {
			t.Errorf("build log lacks %q:\n%s", want, log)
		}
	}
	if out := e.ok("container", "run", "--rm", "greeter:1"); out != "hello from the image\n21\n" {
		t.Errorf("run = %q, want the greeting and its size", out)
	}

	out, log, code := e.stack("image", "build", "-q", "-t", "greeter:1", dir)
	if code != 0 || !regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`).MatchString(out) || log != "" {
		t.Errorf("build -q: exit %d stdout %q stderr %q, want only the image ID", code, out, log)
	}

	cmd := exec.Command(e.bin, "--root", e.root, "--run-root", e.runRoot, "image", "build", "-f", "-", "-t", "fromstdin", dir)
	cmd.Stdin = strings.NewReader("FROM busybox\nLABEL from=stdin\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("build -f -: %v\n%s", err, stderr.String())
	}

	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo about to fail; exit 4\n"), 0o644)
	_, log, code = e.stack("image", "build", "-t", "broken", dir)
	if code != 1 || !strings.Contains(log, "returned a non-zero code: 4") || !strings.Contains(log, "about to fail") {
		t.Errorf("failing build: exit %d, stderr:\n%s\nwant exit 1 naming the exit code and the output", code, log)
	}
	if _, _, code := e.stack("image", "inspect", "broken"); code == 0 {
		t.Errorf("a failed build tagged its image")
	}
}
