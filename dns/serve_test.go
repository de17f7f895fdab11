package dns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// containerNetns makes a named network namespace with lo up, standing in
// for a container, and returns its name and an open handle.
func containerNetns(t *testing.T) (string, *os.File) {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	name := "stkdns-" + hex.EncodeToString(b)
	runtime.LockOSThread()
	origin, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	h, err := netns.NewNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := netns.Set(origin); err != nil {
		t.Fatal(err)
	}
	origin.Close()
	runtime.UnlockOSThread()
	t.Cleanup(func() { h.Close(); netns.DeleteNamed(name) })
	nh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nh.Close()
	lo, err := nh.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := nh.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/var/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return name, f
}

// exchangeIn sends one query from inside the namespace, as a process in
// the container would.
func exchangeIn(t *testing.T, ns *os.File, proto string, m *dns.Msg) *dns.Msg {
	t.Helper()
	var resp *dns.Msg
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err = netns.Set(netns.NsHandle(ns.Fd())); err != nil {
			return
		}
		c := &dns.Client{Net: proto}
		resp, _, err = c.Exchange(m, Address)
	}()
	<-done
	if err != nil {
		t.Fatalf("%s query %s: %v", proto, m.Question[0].Name, err)
	}
	return resp
}

func TestServeInNamespace(t *testing.T) {
	needRoot(t)
	up := startUpstream(t)
	reg := &Registry{Dir: t.TempDir()}
	for i := 0; i < 50; i++ {
		reg.Put("n", Endpoint{ContainerID: "r" + strconv.Itoa(i), Names: []string{"many"}, Addrs: addrs("10.8.0." + strconv.Itoa(i+2))})
	}
	reg.Put("n", Endpoint{ContainerID: "web1", Names: []string{"stack-web-1", "web"}, Addrs: addrs("10.8.1.2")})
	name, ns := containerNetns(t)
	socks, err := Listen(ns, Address)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, socks, NewResolver(Config{Registry: reg, Networks: []Network{{Name: "n"}}, Upstream: &Upstream{Servers: []string{up.addr}}}))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	// The host's namespace has nothing on 127.0.0.11.
	if c, err := net.Dial("tcp", Address); err == nil {
		c.Close()
		t.Errorf("resolver reachable from the host namespace")
	}
	for _, proto := range []string{"udp", "tcp"} {
		resp := exchangeIn(t, ns, proto, new(dns.Msg).SetQuestion("web.", dns.TypeA))
		if got := answers(resp); len(got) != 1 || got[0] != "10.8.1.2" {
			t.Errorf("%s web: got %v", proto, got)
		}
		// Forwarded from the host namespace: the container's own
		// loopback has no upstream.
		resp = exchangeIn(t, ns, proto, new(dns.Msg).SetQuestion("example.com.", dns.TypeA))
		if got := answers(resp); len(got) != 1 || got[0] != "192.0.2.10" {
			t.Errorf("%s example.com: got %v", proto, got)
		}
	}
	resp := exchangeIn(t, ns, "udp", new(dns.Msg).SetQuestion("many.", dns.TypeA))
	if !resp.Truncated {
		t.Errorf("udp many: not truncated (%d answers)", len(resp.Answer))
	}
	resp = exchangeIn(t, ns, "tcp", new(dns.Msg).SetQuestion("big.example.com.", dns.TypeA))
	if len(resp.Answer) != 60 {
		t.Errorf("tcp big.example.com: got %d answers, want 60", len(resp.Answer))
	}

	// busybox nslookup is the musl-style client: it must see the same.
	out, err := exec.Command("ip", "netns", "exec", name, "busybox", "nslookup", "web", "127.0.0.11").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "10.8.1.2") {
		t.Errorf("busybox nslookup web: %v\n%s", err, out)
	}
	out, _ = exec.Command("ip", "netns", "exec", name, "busybox", "nslookup", "nosuch", "127.0.0.11").CombinedOutput()
	if !strings.Contains(string(out), "NXDOMAIN") {
		t.Errorf("busybox nslookup nosuch: want NXDOMAIN\n%s", out)
	}
}
