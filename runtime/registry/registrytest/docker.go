package registrytest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Docker is a dockerd started for one test, with its own state, socket and
// containerd, and no networking of its own (no bridge, no iptables).
type Docker struct {
	Host string // the -H value for the docker CLI
	dir  string
}

// StartDocker runs a private dockerd until the test ends. It skips the test
// when Docker is not installed, when not root, or when dockerd cannot run
// on this host.
func StartDocker(t testing.TB) *Docker {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, bin := range []string{"dockerd", "docker"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed", bin)
		}
	}
	// The socket path must stay short: not under t.TempDir.
	dir, err := os.MkdirTemp("", "stack-docker-")
	if err != nil {
		t.Fatal(err)
	}
	d := &Docker{Host: "unix://" + filepath.Join(dir, "sock"), dir: dir}
	logFile, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root", filepath.Join(dir, "d"), "--exec-root", filepath.Join(dir, "e"),
		"--pidfile", filepath.Join(dir, "pid"), "-H", d.Host)
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
	deadline := time.Now().Add(time.Minute)
	for exec.Command("docker", "-H", d.Host, "version").Run() != nil {
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
	return d
}

// Run runs the docker CLI against this dockerd and returns its trimmed
// output, failing the test when it fails.
func (d *Docker) Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", append([]string{"-H", d.Host}, args...)...).CombinedOutput()
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
