package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"stack/runtime/registry/registrytest"
)

var registryCLI struct {
	once sync.Once
	path string
	err  error
}

// registryTestBinary is $STACK_BIN or a stack binary built once for the
// package's tests.
func registryTestBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("STACK_BIN"); bin != "" {
		return bin
	}
	registryCLI.once.Do(func() {
		dir, err := os.MkdirTemp("", "stack-bin-")
		if err != nil {
			registryCLI.err = err
			return
		}
		registryCLI.path = filepath.Join(dir, "stack")
		if out, err := exec.Command("go", "build", "-o", registryCLI.path, ".").CombinedOutput(); err != nil {
			registryCLI.err = err
			registryCLI.path = string(out)
		}
	})
	if registryCLI.err != nil {
		t.Fatalf("build stack: %v\n%s", registryCLI.err, registryCLI.path)
	}
	return registryCLI.path
}

// registryTestImage is a busybox image made with the example script.
func registryTestImage(t *testing.T) v1.Image {
	t.Helper()
	tarPath := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", tarPath).CombinedOutput(); err != nil {
		t.Skipf("busybox rootfs unavailable: %v\n%s", err, out)
	}
	layer, err := tarball.LayerFromFile(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Cmd = []string{"/bin/sh"}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

type stackRun struct {
	stdout, stderr string
	err            error
}

func runStack(t *testing.T, stdin string, args ...string) stackRun {
	t.Helper()
	cmd := exec.Command(registryTestBinary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stackRun{stdout.String(), stderr.String(), err}
}

// TestImagePushPullLoginCLI drives the commands the way a user does: import
// and tag an image, log in to a registry with basic authentication, push,
// push again, remove the image, pull it back, run it, log out and be refused.
func TestImagePushPullLoginCLI(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	srv := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	root := t.TempDir()
	runRoot, err := os.MkdirTemp("", "stk") // sockets live here: keep it short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runRoot) })
	tarPath := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", tarPath).CombinedOutput(); err != nil {
		t.Skipf("busybox rootfs unavailable: %v\n%s", err, out)
	}
	ref := srv.Addr + "/app:v1"
	at := []string{"--root", root, "--run-root", runRoot}

	steps := []struct {
		name   string
		stdin  string
		args   []string
		fails  bool
		stdout string // substring
		stderr string // substring
	}{
		{"import", "", append(at, "image", "import", tarPath, "busybox:cli"), false, "", ""},
		{"tag", "", append(at, "image", "tag", "busybox:cli", ref), false, "", ""},
		{"push anonymous", "", append(at, "image", "push", ref), true, "", "requires authentication (stack login " + srv.Addr + ")"},
		{"login refused", "wrong\n", []string{"login", "-u", "alice", "--password-stdin", srv.Addr}, true, "", "rejected the credentials"},
		{"login", "s3cret\n", []string{"login", "-u", "alice", "--password-stdin", srv.Addr}, false, "Login Succeeded", ""},
		{"push", "", append(at, "image", "push", ref), false, srv.Addr + "/app@sha256:", ": Pushed"},
		{"push again", "", append(at, "image", "push", ref), false, "", ": Layer already exists"},
		{"remove", "", append(at, "image", "rm", ref, "busybox:cli"), false, "", ""},
		{"pull", "", append(at, "image", "pull", ref), false, ref, "Digest: sha256:"},
		{"run", "", append(at, "container", "run", "--rm", "--network", "none", ref, "cat", "/etc/passwd"), false, "root:x:0:0", ""},
		{"pull unknown tag", "", append(at, "image", "pull", srv.Addr+"/app:v2"), true, "", "tag v2 not found in " + srv.Addr + "/app"},
		{"logout", "", []string{"logout", srv.Addr}, false, "Removing login credentials for " + srv.Addr, ""},
		{"logout again", "", []string{"logout", srv.Addr}, false, "Not logged in to " + srv.Addr, ""},
		{"pull logged out", "", []string{"--root", t.TempDir(), "image", "pull", ref}, true, "", "requires authentication (stack login " + srv.Addr + ")"},
	}
	for _, step := range steps {
		got := runStack(t, step.stdin, step.args...)
		if (got.err != nil) != step.fails {
			t.Fatalf("%s: stack %s: error %v, want failure %v\nstdout: %s\nstderr: %s", step.name, strings.Join(step.args, " "), got.err, step.fails, got.stdout, got.stderr)
		}
		if !strings.Contains(got.stdout, step.stdout) || !strings.Contains(got.stderr, step.stderr) {
			t.Errorf("%s: stdout %q, stderr %q; want them to contain %q and %q", step.name, got.stdout, got.stderr, step.stdout, step.stderr)
		}
	}
}
