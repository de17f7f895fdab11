package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// e2eStack drives the stack binary with its own state directories.
type e2eStack struct {
	bin, root, runRoot string
}

func newE2EStack(t testing.TB) *e2eStack {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	// Control sockets live under the run root: keep its path short.
	runRoot, err := os.MkdirTemp("", "stk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runRoot) })
	s := &e2eStack{bin: stackBinary(t), root: t.TempDir(), runRoot: runRoot}
	tarPath := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", tarPath).CombinedOutput(); err != nil {
		t.Skipf("busybox rootfs unavailable: %v\n%s", err, out)
	}
	s.must(t, "image", "import", tarPath, "busybox:e2e")
	t.Cleanup(func() {
		ids, _ := s.run("container", "ls", "-aq")
		for _, id := range strings.Fields(ids) {
			s.run("container", "rm", "-f", id)
		}
		nets, _ := s.run("network", "ls", "-q")
		for _, n := range strings.Fields(nets) {
			s.run("network", "rm", n)
		}
	})
	return s
}

// stackBinary is the binary under test: $STACK_BIN or one built for the
// package's tests.
func stackBinary(tb testing.TB) string {
	if t, ok := tb.(*testing.T); ok {
		return registryTestBinary(t)
	}
	if bin := os.Getenv("STACK_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(tb.TempDir(), "stack")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("build stack: %v\n%s", err, out)
	}
	return bin
}

func (s *e2eStack) run(args ...string) (string, error) {
	cmd := exec.Command(s.bin, append([]string{"--root", s.root, "--run-root", s.runRoot}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *e2eStack) must(t testing.TB, args ...string) string {
	t.Helper()
	out, err := s.run(args...)
	if err != nil {
		logs, _ := exec.Command("sh", "-c", "tail -n 20 "+s.root+"/containers/*/monitor.log").CombinedOutput()
		t.Fatalf("stack %s: %v\n%s\nmonitor logs:\n%s", strings.Join(args, " "), err, out, logs)
	}
	return out
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func TestNetworkEndToEnd(t *testing.T) {
	s := newE2EStack(t)
	s.must(t, "network", "create", "e2enet")
	s.must(t, "network", "create", "e2eother")
	s.must(t, "container", "run", "-d", "--name", "db", "-h", "dbhost", "--network", "e2enet", "busybox:e2e",
		"sh", "-c", "echo hello-from-db > /tmp/index.html; exec httpd -f -p 8080 -h /tmp")
	s.must(t, "container", "run", "-d", "--name", "web", "--network", "e2enet", "busybox:e2e", "sleep", "300")

	for _, name := range []string{"db", "dbhost", "db.e2enet", "web"} {
		out := s.must(t, "container", "run", "--rm", "--network", "e2enet", "busybox:e2e", "nslookup", name)
		if !strings.Contains(out, "Name:\t"+name) {
			t.Errorf("nslookup %s on the shared network:\n%s", name, out)
		}
	}
	// run -d returns once httpd has started, not once it listens: retry.
	if out := s.must(t, "container", "run", "--rm", "--network", "e2enet", "busybox:e2e", "sh", "-c",
		"for i in $(seq 100); do wget -qO- http://db:8080/ 2>/dev/null && exit 0; sleep 0.1; done; exit 1"); out != "hello-from-db\n" {
		t.Errorf("web to db by name: %q", out)
	}
	if out, _ := s.run("container", "run", "--rm", "--network", "e2eother", "busybox:e2e", "nslookup", "db"); !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("db resolved from another network:\n%s", out)
	}

	s.must(t, "network", "connect", "--alias", "webextra", "e2eother", "web")
	if out := s.must(t, "container", "run", "--rm", "--network", "e2eother", "busybox:e2e", "nslookup", "webextra"); !strings.Contains(out, "Name:\twebextra") {
		t.Errorf("alias after network connect:\n%s", out)
	}
	s.must(t, "network", "disconnect", "e2eother", "web")
	if out, _ := s.run("container", "run", "--rm", "--network", "e2eother", "busybox:e2e", "nslookup", "webextra"); !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("alias after network disconnect:\n%s", out)
	}

	port := freePort(t)
	s.must(t, "container", "run", "-d", "--name", "pub", "-p", "127.0.0.1:"+port+":8080", "-p", port+":9090/udp", "busybox:e2e",
		"sh", "-c", "echo published > /tmp/index.html; exec httpd -f -p 8080 -h /tmp")
	if out, err := exec.Command("curl", "-sS", "--max-time", "5", "--retry", "50", "--retry-connrefused", "--retry-delay", "1",
		"--retry-max-time", "20", "http://127.0.0.1:"+port+"/").CombinedOutput(); err != nil || string(out) != "published\n" {
		t.Errorf("published port %s: %v %s", port, err, out)
	}
	before := s.must(t, "container", "ls", "-aq")
	out, err := s.run("container", "run", "-d", "--name", "clash", "-p", "127.0.0.1:"+port+":80", "busybox:e2e", "true")
	if err == nil || !strings.Contains(out, "127.0.0.1:"+port) {
		t.Errorf("port conflict: got %v\n%s\nwant an error naming 127.0.0.1:%s", err, out, port)
	}
	if after := s.must(t, "container", "ls", "-aq"); after != before {
		t.Errorf("a failed create left a container behind:\n%s", after)
	}

	s.must(t, "container", "stop", "-t", "1", "db")
	if out, _ := s.run("container", "run", "--rm", "--network", "e2enet", "busybox:e2e", "nslookup", "db"); !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("db still resolves right after stop:\n%s", out)
	}

	for _, name := range []string{"db", "web", "pub"} {
		s.must(t, "container", "rm", "-f", name)
	}
	inspect := s.must(t, "network", "inspect", "e2enet", "e2eother")
	s.must(t, "network", "rm", "e2enet", "e2eother")
	deadline := time.Now().Add(5 * time.Second)
	for _, field := range strings.Fields(inspect) {
		bridge, ok := strings.CutPrefix(strings.Trim(field, `",`), "stk-")
		if !ok {
			continue
		}
		for time.Now().Before(deadline) && linkPresent("stk-"+bridge) {
			time.Sleep(50 * time.Millisecond)
		}
		if linkPresent("stk-" + bridge) {
			t.Errorf("bridge stk-%s remains after network rm", bridge)
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(s.root, "networks", "e2e*.json")); len(entries) > 0 {
		t.Errorf("network records remain: %v", entries)
	}
}

func linkPresent(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

func TestNetworkProjectNames(t *testing.T) {
	s := newE2EStack(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "stack.yaml")
	os.WriteFile(file, []byte(`services:
  web:
    image: busybox:e2e
    command: sleep 300
    scale: 3
  cache:
    image: busybox:e2e
    command: sleep 300
    hostname: cachehost
    networks:
      default:
        aliases: [memo]
`), 0o644)
	project := []string{"-f", file, "-p", "netnames"}
	s.must(t, append(project, "up", "-d")...)
	t.Cleanup(func() { s.run(append(project, "down")...) })

	script := `for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "#web"; nslookup web; done
for n in netnames-web-2 cache memo cachehost cache.netnames_default; do echo "#$n"; nslookup $n; done`
	out := s.must(t, "container", "run", "--rm", "--network", "netnames_default", "busybox:e2e", "sh", "-c", script)
	firsts := map[string]bool{}
	for _, block := range strings.Split(out, "#")[1:] {
		name, body, _ := strings.Cut(block, "\n")
		var addrs []string
		for _, line := range strings.Split(body, "\n") {
			if a, ok := strings.CutPrefix(line, "Address: "); ok {
				addrs = append(addrs, a)
			}
		}
		switch {
		case name == "web" && len(addrs) != 3:
			t.Errorf("web: got %v, want the 3 replicas", addrs)
		case name == "web":
			firsts[addrs[0]] = true
		case len(addrs) != 1:
			t.Errorf("%s: got %v, want one address", name, addrs)
		}
	}
	if len(firsts) < 2 {
		t.Errorf("12 lookups of web always put %v first; want the replicas to rotate", firsts)
	}
	s.must(t, append(project, "down")...)
	if out := s.must(t, "network", "ls", "-q"); strings.Contains(out, "netnames_default") {
		t.Errorf("network remains after down: %s", out)
	}
}

// debianRootfsForNetwork returns the minimal Debian root filesystem the
// tests share under /var/cache/stack-test (made once with mmdebstrap,
// under the same lock the image tests take).
func debianRootfsForNetwork(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("a Debian root filesystem takes minutes to make; skipped in -short")
	}
	const cache = "/var/cache/stack-test"
	path := filepath.Join(cache, "debian-rootfs-minimal.tar")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skip("mmdebstrap is not installed (apt-get install mmdebstrap)")
	}
	if out, err := exec.Command("../../examples/base-images/debian-rootfs.sh", path).CombinedOutput(); err != nil {
		t.Skipf("mmdebstrap could not make a Debian root filesystem here: %v: %s", err, out)
	}
	return path
}

// TestNetworkGlibcNames resolves container names with glibc's resolver
// (getent in a Debian image), which asks A and AAAA in parallel and
// needs NODATA, not NXDOMAIN, for the family a container lacks.
func TestNetworkGlibcNames(t *testing.T) {
	s := newE2EStack(t)
	s.must(t, "image", "import", debianRootfsForNetwork(t), "debian:e2e")
	s.must(t, "network", "create", "glibcnet")
	s.must(t, "container", "run", "-d", "--name", "peer", "-h", "peerhost", "--network", "glibcnet", "busybox:e2e", "sleep", "300")
	out := s.must(t, "container", "run", "--rm", "--network", "glibcnet", "debian:e2e",
		"sh", "-c", "for n in peer peerhost peer.glibcnet; do getent hosts $n || echo MISSING $n; done; getent ahosts peer | head -1; getent hosts nosuch || echo NXDOMAIN-OK")
	for _, want := range []string{" peer\n", " peerhost\n", " peer.glibcnet\n", "NXDOMAIN-OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("glibc lookups: %q missing in\n%s", want, out)
		}
	}
	if strings.Contains(out, "MISSING") {
		t.Errorf("glibc could not resolve a name:\n%s", out)
	}
}
