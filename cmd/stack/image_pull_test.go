package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"stack/runtime/registry/registrytest"
)

// TestImagePullRunDockerInterop: an image pushed by Docker is pulled and run
// by stack, and one pushed by stack is pulled and run by Docker.
func TestImagePullRunDockerInterop(t *testing.T) {
	docker := registrytest.StartDocker(t)
	srv := registrytest.Start(t)
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
	at := []string{"--root", root, "--run-root", runRoot}
	stack := func(args ...string) string {
		t.Helper()
		got := runStack(t, "", append(at, args...)...)
		if got.err != nil {
			t.Fatalf("stack %s: %v\n%s%s", strings.Join(args, " "), got.err, got.stdout, got.stderr)
		}
		return got.stdout
	}

	fromDocker := srv.Addr + "/fromdocker:v1"
	docker.Run(t, "import", "--change", `CMD ["/bin/sh"]`, tarPath, fromDocker)
	docker.Run(t, "push", fromDocker)
	stack("image", "pull", fromDocker)
	if out := stack("container", "run", "--rm", "--network", "none", fromDocker, "echo", "hello from docker's image"); out != "hello from docker's image\n" {
		t.Errorf("stack run of the image docker pushed printed %q", out)
	}

	fromStack := srv.Addr + "/fromstack:v1"
	stack("image", "import", tarPath, fromStack)
	stack("image", "push", fromStack)
	docker.Run(t, "pull", fromStack)
	if out := docker.Run(t, "run", "--rm", "--network", "none", fromStack, "echo", "hello from stack's image"); out != "hello from stack's image" {
		t.Errorf("docker run of the image stack pushed printed %q", out)
	}
}
