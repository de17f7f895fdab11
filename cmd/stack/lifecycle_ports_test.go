package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freePortRange finds n consecutive TCP ports free on 127.0.0.1 and
// returns the first; they are released for the test to publish.
func freePortRange(t testing.TB, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		first := ln.Addr().(*net.TCPAddr).Port
		held := []net.Listener{ln}
		for i := 1; i < n; i++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first+i))
			if err != nil {
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		if len(held) == n {
			return first
		}
	}
	t.Fatalf("no %d consecutive free ports", n)
	return 0
}

// TestLifecyclePublishedRangeAndRandomPorts: a published range gives each
// replica its own port of the range, a port without a host port a random
// one, and ps and port show the ports as bound (not the range, not 0),
// then the ports exposed only (the image's EXPOSE and the service's
// expose); a stopped replica shows none.
func TestLifecyclePublishedRangeAndRandomPorts(t *testing.T) {
	first := freePortRange(t, 3)
	e := newLcEnv(t, fmt.Sprintf(`name: NAME
services:
  web:
    image: busybox
    command: ["sh", "-c", "hostname > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    deploy:
      replicas: 3
    ports:
      - "127.0.0.1:%d-%d:80"
      - "127.0.0.1::81"
    expose: ["8080"]
  api:
    build: ./api
    expose: ["7001-7002/udp", "7000"]
`, first, first+2))
	if err := os.MkdirAll(filepath.Join(e.dir, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM busybox\nEXPOSE 7000 80/tcp\nCMD [\"sleep\", \"1000\"]\n"
	if err := os.WriteFile(filepath.Join(e.dir, "api", "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must("up", "-d")
	if ps := e.must("ps", "api"); !strings.Contains(ps, " 80/tcp, 7000/tcp, 7001/udp, 7002/udp\n") {
		t.Errorf("ps does not list api's exposed ports in order:\n%s", ps)
	}

	seen := map[int]string{}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("%s-web-%d", e.project, i)
		row := e.containers()[name]
		if len(row.Publishers) != 3 {
			t.Fatalf("%s publishes %+v, want two ports and one exposed", name, row.Publishers)
		}
		web, random, exposed := row.Publishers[0], row.Publishers[1], row.Publishers[2]
		if exposed != (psPublisher{TargetPort: 8080, Protocol: "tcp"}) {
			t.Errorf("%s: exposed port listed as %+v, want 8080/tcp without a host port", name, exposed)
		}
		if web.PublishedPort < first || web.PublishedPort > first+2 || seen[web.PublishedPort] != "" {
			t.Errorf("%s got host port %d, want one of %d-%d of its own (taken: %v)", name, web.PublishedPort, first, first+2, seen)
		}
		seen[web.PublishedPort] = name
		if random.PublishedPort == 0 || random.TargetPort != 81 {
			t.Errorf("%s: random port for 81 shown as %+v", name, random)
		}
		index := strconv.Itoa(i)
		if out := e.must("port", "--index", index, "web", "80"); strings.TrimSpace(out) != fmt.Sprintf("127.0.0.1:%d", web.PublishedPort) {
			t.Errorf("port --index %s web 80 = %q, want 127.0.0.1:%d", index, out, web.PublishedPort)
		}
		if out := e.must("port", "--index", index, "web", "81"); strings.TrimSpace(out) != fmt.Sprintf("127.0.0.1:%d", random.PublishedPort) {
			t.Errorf("port --index %s web 81 = %q, want 127.0.0.1:%d", index, out, random.PublishedPort)
		}
		if ps := e.must("ps"); !strings.Contains(ps, fmt.Sprintf("127.0.0.1:%d->80/tcp, 127.0.0.1:%d->81/tcp, 8080/tcp", web.PublishedPort, random.PublishedPort)) {
			t.Errorf("ps does not show %s's port %d:\n%s", name, web.PublishedPort, ps)
		}
		// Each port reaches its own replica.
		id := row.ID[:12]
		url := fmt.Sprintf("http://127.0.0.1:%d/", web.PublishedPort)
		var out []byte
		var err error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if out, err = exec.Command("curl", "-sS", "--max-time", "2", url).CombinedOutput(); err == nil {
				break
			}
		}
		if err != nil || strings.TrimSpace(string(out)) != id {
			t.Errorf("%s: got %q, %v, want %s's hostname %s", url, out, err, name, id)
		}
	}

	e.must("container", "stop", "-t", "1", e.project+"-web-2")
	stopped := e.containers()[e.project+"-web-2"]
	if stopped.State != "exited" || len(stopped.Publishers) != 0 {
		t.Errorf("stopped replica: state %s, publishes %+v, want exited and none", stopped.State, stopped.Publishers)
	}
	if _, _, code := e.stack("port", "--index", "2", "web", "80"); code == 0 {
		t.Error("port of a stopped replica succeeded")
	}
}

// TestPublishFlag: -p takes the ports syntax of a stack file; a host range
// for one container port stays one binding over the range.
func TestPublishFlag(t *testing.T) {
	tests := []struct {
		in   string
		want string // the bindings, "" for an error
	}{
		{"80", "[{ 0 0 80 tcp}]"},
		{"8080:80", "[{ 8080 0 80 tcp}]"},
		{"127.0.0.1::80/udp", "[{127.0.0.1 0 0 80 udp}]"},
		{"[::1]:8080:80", "[{::1 8080 0 80 tcp}]"},
		{"4000-4004:80", "[{ 4000 4004 80 tcp}]"},
		{"8000-8001:80-81", "[{ 8000 0 80 tcp} { 8001 0 81 tcp}]"},
		{"4000-x:80", ""},
		{"8000-8002:80-81", ""},
		{"80/sctx", ""},
		{"0", ""},
	}
	for _, tt := range tests {
		ports, err := publishFlag(tt.in)
		if err == nil {
			var got any
			got, err = portBindings(ports)
			if err == nil && fmt.Sprint(got) != tt.want {
				t.Errorf("-p %s: got %v, want %s", tt.in, got, tt.want)
			}
		}
		if (err != nil) != (tt.want == "") {
			t.Errorf("-p %s: error %v, want %q", tt.in, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("-p %q", tt.in)) {
			t.Errorf("-p %s: error %q does not name the flag", tt.in, err)
		}
	}
}

func TestExposedPorts(t *testing.T) {
	got, err := exposedPorts(map[string]struct{}{"80/tcp": {}, "53/udp": {}}, []string{"8000-8001", "80", "9/SCTP"}, "--expose")
	want := []string{"9/sctp", "53/udp", "80/tcp", "8000/tcp", "8001/tcp"}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, %v, want %v", got, err, want)
	}
	for _, bad := range []string{"x", "0", "80/icmp", "90-80", "70000"} {
		_, err := exposedPorts(nil, []string{bad}, "--expose")
		if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("--expose %q: expected", bad)) {
			t.Errorf("--expose %s: got %v, want an error naming it", bad, err)
		}
	}
}

// TestContainerExposeAndPublishAll: container ls lists published ports,
// then the exposed ones; -P publishes every exposed port on a random one;
// an IPv6 host address is in brackets, in ls and in port.
func TestContainerExposeAndPublishAll(t *testing.T) {
	e := newLcEnv(t, "services: {}\n")
	xName, allName := e.project+"-x", e.project+"-all"
	e.must("container", "run", "-d", "--name", xName, "--expose", "81", "--expose", "82/udp", "-p", "127.0.0.1::80", "busybox", "sleep", "1000")
	e.must("container", "run", "-d", "--name", allName, "-P", "--expose", "83", "-p", "[::1]::84", "busybox", "sleep", "1000")
	t.Cleanup(func() { e.stack("container", "rm", "-f", xName, allName) })
	ls := e.must("container", "ls", "--format", "json")
	var x, all string
	for _, line := range strings.Split(strings.TrimSpace(ls), "\n") {
		var row struct{ Names, Ports string }
		if err := jsonUnmarshal(line, &row); err != nil {
			t.Fatalf("container ls json %q: %v", line, err)
		}
		switch row.Names {
		case xName:
			x = row.Ports
		case allName:
			all = row.Ports
		}
	}
	if !strings.HasPrefix(x, "127.0.0.1:") || strings.HasPrefix(x, "127.0.0.1:0->") || !strings.HasSuffix(x, "->80/tcp, 81/tcp, 82/udp") {
		t.Errorf("ports of the first: %q, want 127.0.0.1:<port>->80/tcp, 81/tcp, 82/udp", x)
	}
	if !strings.HasPrefix(all, "[::1]:") || strings.HasPrefix(all, "[::1]:0->") || !strings.Contains(all, "->84/tcp, 0.0.0.0:") ||
		strings.HasSuffix(all, ":0->83/tcp") || !strings.HasSuffix(all, "->83/tcp") || strings.Count(all, "->") != 2 {
		t.Errorf("ports of the one run with -P: %q, want [::1]:<port>->84/tcp, 0.0.0.0:<port>->83/tcp", all)
	}
}
