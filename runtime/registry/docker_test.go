package registry

import (
	"context"
	"testing"

	"stack/runtime/registry/registrytest"
)

// TestDockerInterop: an image pushed by stack is pulled and run by Docker,
// and one pushed by Docker is pulled by stack with the same image ID.
func TestDockerInterop(t *testing.T) {
	docker := registrytest.StartDocker(t)
	needRoot(t)
	srv := registrytest.Start(t)
	ctx := context.Background()

	store := newStore(t)
	fromStack := srv.Addr + "/fromstack:v1"
	if _, err := store.Put(ctx, busybox(t, map[string]string{"etc/message": "made by stack\n"}), fromStack); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, store, fromStack, anonymous); err != nil {
		t.Fatalf("push: %v", err)
	}
	docker.Run(t, "pull", fromStack)
	if got := docker.Run(t, "run", "--rm", "--network", "none", fromStack, "cat", "/etc/message"); got != "made by stack" {
		t.Errorf("docker run of the image stack pushed printed %q, want %q", got, "made by stack")
	}

	fromDocker := srv.Addr + "/fromdocker:v1"
	docker.Run(t, "import", "--change", `CMD ["/bin/sh"]`, busyboxTar, fromDocker)
	docker.Run(t, "push", fromDocker)
	wantID := docker.Run(t, "image", "inspect", "--format", "{{.Id}}", fromDocker)
	dst := newStore(t)
	got, err := Pull(ctx, dst, fromDocker, anonymous)
	if err != nil {
		t.Fatalf("pull of the image docker pushed: %v", err)
	}
	if got.ID.String() != wantID {
		t.Errorf("stack pulled image %s, docker has %s", got.ID, wantID)
	}
	if cmd := got.Config.Config.Cmd; len(cmd) != 1 || cmd[0] != "/bin/sh" {
		t.Errorf("pulled config Cmd = %v, want [/bin/sh]", got.Config.Config.Cmd)
	}
	checkFiles(t, dst, got, map[string]string{"etc/passwd": "root:x:0:0"})
}
