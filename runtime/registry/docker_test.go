package registry

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stack/runtime/registry/registrytest"
)

// privateDocker is a dockerd started for one test, with its own state,
// socket and containerd, and no networking of its own.
type privateDocker struct {
	host string // -H value
	dir  string
}

func startDocker(t testing.TB) *privateDocker {
	t.Helper()
	needRoot(t)
	for _, bin := range []string{"dockerd", "docker"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed", bin)
		}
	}
	dir, err := os.MkdirTemp("", "stack-docker-")
	if err != nil {
		t.Fatal(err)
	}
	d := &privateDocker{host: "unix://" + filepath.Join(dir, "sock"), dir: dir}
	logFile, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root", filepath.Join(dir, "d"), "--exec-root", filepath.Join(dir, "e"),
		"--pidfile", filepath.Join(dir, "pid"), "-H", d.host)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		unmountUnder(dir)
		os.RemoveAll(dir)
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if exec.Command("docker", "-H", d.host, "version").Run() == nil {
			return d
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Skipf("dockerd does not start here:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("dockerd did not answer within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *privateDocker) run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", append([]string{"-H", d.host}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// unmountUnder detaches whatever dockerd left mounted below dir, deepest
// first, so that the directory can be removed.
func unmountUnder(dir string) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	var points []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			points = append(points, fields[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		unix.Unmount(points[i], unix.MNT_DETACH)
	}
}

// TestDockerInterop: an image pushed by stack is pulled and run by Docker,
// and one pushed by Docker is pulled by stack with the same image ID.
func TestDockerInterop(t *testing.T) {
	docker := startDocker(t)
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
	docker.run(t, "pull", fromStack)
	if got := docker.run(t, "run", "--rm", "--network", "none", fromStack, "cat", "/etc/message"); got != "made by stack" {
		t.Errorf("docker run of the image stack pushed printed %q, want %q", got, "made by stack")
	}

	fromDocker := srv.Addr + "/fromdocker:v1"
	docker.run(t, "import", "--change", `CMD ["/bin/sh"]`, busyboxTar, fromDocker)
	docker.run(t, "push", fromDocker)
	wantID := docker.run(t, "image", "inspect", "--format", "{{.Id}}", fromDocker)
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
