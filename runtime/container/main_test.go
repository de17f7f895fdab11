package container

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	// The runtime starts its init by re-executing its own binary: here,
	// the test binary.
	if IsInit() {
		InitMain()
	}
	// And its monitor: the test binary again, told so by the environment.
	if os.Getenv("STACK_TEST_MONITOR") != "" {
		id := os.Args[len(os.Args)-1]
		// An init binary of its own, as stack's embedded one (see
		// TestInitBinary).
		if path := os.Getenv("STACK_TEST_INIT_BIN"); path != "" {
			data, err := os.ReadFile(path)
			if err != nil {
				os.Exit(1)
			}
			UseInitBinary(string(data))
		}
		store, err := OpenStore(os.Getenv("STACK_TEST_ROOT"), os.Getenv("STACK_TEST_RUN_ROOT"))
		if err == nil {
			err = RunMonitor(store, id, Hooks{})
		}
		if err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

var (
	busyboxOnce sync.Once
	busyboxDir  string
	busyboxErr  error
)

// busyboxRootfs returns a read-only busybox root directory shared by the
// tests of this binary, made with examples/base-images/busybox-rootfs.sh.
func busyboxRootfs(t testing.TB) string {
	t.Helper()
	needRoot(t)
	busyboxOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stack-busybox-")
		if err != nil {
			busyboxErr = err
			return
		}
		tarball := filepath.Join(dir, "rootfs.tar")
		script, _ := filepath.Abs("../../examples/base-images/busybox-rootfs.sh")
		if out, err := exec.Command(script, tarball).CombinedOutput(); err != nil {
			busyboxErr = err
			t.Logf("%s", out)
			return
		}
		root := filepath.Join(dir, "root")
		os.Mkdir(root, 0o755)
		if out, err := exec.Command("tar", "-C", root, "-xf", tarball).CombinedOutput(); err != nil {
			busyboxErr = err
			t.Logf("%s", out)
			return
		}
		busyboxDir = root
	})
	if busyboxErr != nil {
		t.Skipf("busybox rootfs: %v (apt-get install busybox-static)", busyboxErr)
	}
	return busyboxDir
}

// testConfig returns a config with a writable overlay on busybox.
func testConfig(t testing.TB, args ...string) *Config {
	t.Helper()
	lower := busyboxRootfs(t)
	dir := t.TempDir()
	return &Config{
		ID: randomID(), Hostname: "testbox",
		Rootfs:  Rootfs{Lower: []string{lower}, Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work")},
		Process: Process{Args: args, Env: []string{"PATH=/bin:/sbin:/usr/bin:/usr/sbin"}},
		Network: NetworkConfig{Mode: "none"},
	}
}

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o644) }

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// testStore is a container store in temporary directories whose monitors
// are this test binary.
func testStore(t *testing.T) (*Store, StartOptions) {
	t.Helper()
	needRoot(t)
	root, runRoot := t.TempDir(), t.TempDir()
	s, err := OpenStore(root, runRoot)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STACK_TEST_ROOT", root)
	t.Setenv("STACK_TEST_RUN_ROOT", runRoot)
	t.Cleanup(func() {
		all, _ := s.List()
		for _, c := range all {
			s.Stop(context.Background(), c.ID, "KILL", 0)
			s.Remove(c.ID)
		}
	})
	return s, StartOptions{MonitorArgv: []string{"/usr/bin/env", "STACK_TEST_MONITOR=1", os.Args[0]}}
}
