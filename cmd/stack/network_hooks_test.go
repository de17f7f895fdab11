package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"stack/cmd/internal/hooks"
	"stack/network"
	"stack/runtime/container"
)

// hookContainer is a process in fresh network and mount namespaces,
// standing in for a container while the hooks are tested on their own.
type hookContainer struct {
	pid  int
	stop context.CancelFunc
}

func startHookContainer(t testing.TB, args ...string) *hookContainer {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &hookContainer{pid: cmd.Process.Pid}
}

// in runs a command in the container's network namespace, with a
// resolv.conf pointing at the embedded resolver bound over the host's in
// a private mount namespace, as the runtime does.
func (c *hookContainer) in(t testing.TB, script string) (string, error) {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(conf, []byte("nameserver 127.0.0.11\noptions ndots:0\n"), 0o644)
	full := "mount --bind " + conf + " /etc/resolv.conf && exec nsenter -t " + strconv.Itoa(c.pid) + " -n -- sh -c '" + script + "'"
	out, err := exec.Command("unshare", "-m", "sh", "-c", full).CombinedOutput()
	return string(out), err
}

func testHooks(t testing.TB) *hooks.Networking {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	b := make([]byte, 4)
	rand.Read(b)
	h := hooks.New(t.TempDir(), t.TempDir())
	h.Networks.Table = "stktest_" + hex.EncodeToString(b)
	h.Networks.Pools = []network.Pool{{Base: netip.MustParsePrefix("10.252.0.0/16"), Size: 24}}
	h.Networks.Warn = func(msg string) { t.Log("warning:", msg) }
	t.Cleanup(func() {
		nets, _ := h.Networks.List()
		for _, n := range nets {
			for id := range n.Endpoints {
				h.Networks.Detach(id, n.Name)
			}
			h.Networks.Remove(n.Name)
		}
	})
	return h
}

func TestNetworkHooks(t *testing.T) {
	h := testHooks(t)
	ctx := context.Background()
	if _, err := h.Networks.Create(network.CreateOptions{Name: "hooknet"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Networks.Create(network.CreateOptions{Name: "othernet"}); err != nil {
		t.Fatal(err)
	}
	www := t.TempDir()
	os.WriteFile(filepath.Join(www, "index.html"), []byte("hello from db\n"), 0o644)
	web := startHookContainer(t, "sleep", "120")
	db := startHookContainer(t, "busybox", "httpd", "-f", "-p", "8080", "-h", www)
	loner := startHookContainer(t, "sleep", "120")

	cfgs := map[*hookContainer]container.NetworkConfig{
		web:   {Mode: "bridge", Hostname: "webhost", Attachments: []container.Attachment{{Network: "hooknet", Aliases: []string{"web", "proj-web-1"}}}},
		db:    {Mode: "bridge", Attachments: []container.Attachment{{Network: "hooknet", Aliases: []string{"db", "proj-db-1", "database"}}}},
		loner: {Mode: "bridge", Attachments: []container.Attachment{{Network: "othernet", Aliases: []string{"loner"}}}},
	}
	ids := map[*hookContainer]string{web: "c-web", db: "c-db", loner: "c-loner"}
	ifaces := map[*hookContainer][]container.Interface{}
	for c, cfg := range cfgs {
		got, err := h.Attach(ctx, ids[c], cfg, c.pid)
		if err != nil {
			t.Fatal(err)
		}
		ifaces[c] = got
		nsFile, err := os.Open("/proc/" + strconv.Itoa(c.pid) + "/ns/net")
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- h.Serve(sctx, ids[c], cfg, got, nsFile) }()
		t.Cleanup(func() { cancel(); <-done; nsFile.Close() })
	}
	dbIP := ifaces[db][0].Addrs[0].Addr().String()
	webIP := ifaces[web][0].Addrs[0].Addr().String()

	for _, name := range []string{"db", "proj-db-1", "database", "db.hooknet"} {
		if out, err := web.in(t, "busybox nslookup "+name+" 127.0.0.11"); err != nil || !strings.Contains(out, dbIP) {
			t.Errorf("musl-style lookup of %s from web: %v\n%s", name, err, out)
		}
		if out, err := web.in(t, "getent hosts "+name); err != nil || !strings.Contains(out, dbIP) {
			t.Errorf("glibc lookup of %s from web: %v\n%s", name, err, out)
		}
	}
	if out, err := db.in(t, "getent hosts webhost"); err != nil || !strings.Contains(out, webIP) {
		t.Errorf("hostname of web from db: %v\n%s", err, out)
	}
	if out, err := loner.in(t, "getent hosts db"); err == nil {
		t.Errorf("a container on another network resolved db: %s", out)
	}
	if out, err := web.in(t, "busybox wget -q -O - http://db:8080/"); err != nil || out != "hello from db\n" {
		t.Errorf("web to db by name: %v\n%s", err, out)
	}

	ports, err := h.Reserve(ctx, ids[db], []container.PortBinding{{HostIP: "127.0.0.1", ContainerPort: 8080, Protocol: "tcp"}})
	if err != nil {
		t.Fatal(err)
	}
	bound, pub, err := h.Publish(ctx, ids[db], ports, ifaces[db])
	if err != nil {
		t.Fatal(err)
	}
	if len(bound) != 1 || bound[0] != ports[0] {
		t.Errorf("Publish bound %+v, want the reserved %+v", bound, ports)
	}
	hostPort := strconv.Itoa(int(ports[0].HostPort))
	if out, err := exec.Command("curl", "-sS", "--max-time", "5", "http://127.0.0.1:"+hostPort+"/").CombinedOutput(); err != nil || string(out) != "hello from db\n" {
		t.Errorf("published port %s: %v\n%s", hostPort, err, out)
	}
	if _, err := h.Reserve(ctx, "other", ports); err == nil || !strings.Contains(err.Error(), "127.0.0.1:"+hostPort) {
		t.Errorf("second reserve of %s: got %v, want a conflict naming the port", hostPort, err)
	}
	pub.Close()

	var veths []string
	for _, name := range []string{"hooknet", "othernet"} {
		n, _ := h.Networks.Inspect(name)
		for _, ep := range n.Endpoints {
			veths = append(veths, ep.HostVeth)
		}
	}
	if err := h.Detach(ctx, ids[db], cfgs[db]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, err := web.in(t, "busybox nslookup db 127.0.0.11"); err == nil || !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("db after detach: %v\n%s", err, out)
	}
	t.Logf("first lookup after detach answered NXDOMAIN after %v", time.Since(start))
	if err := h.Detach(ctx, ids[db], cfgs[db]); err != nil {
		t.Errorf("second detach: %v", err)
	}
	for c := range cfgs {
		if c != db {
			h.Detach(ctx, ids[c], cfgs[c])
		}
	}
	for _, name := range []string{"hooknet", "othernet"} {
		if err := h.Networks.Remove(name); err != nil {
			t.Errorf("remove %s: %v", name, err)
		}
	}
	// The containers' processes still run here; the runtime detaches only
	// dead containers, whose namespaces take the veths with them, so a
	// veth may remain, but off its bridge and down.
	for _, v := range veths {
		if link, err := netlink.LinkByName(v); err == nil && (link.Attrs().MasterIndex != 0 || link.Attrs().Flags&net.FlagUp != 0) {
			t.Errorf("veth %s is still on a bridge or up after detach", v)
		}
	}
	if out, _ := exec.Command("nft", "list", "tables").CombinedOutput(); strings.Contains(string(out), h.Networks.Table) {
		t.Errorf("nftables table remains:\n%s", out)
	}
}

func TestDefaultNetworkOutlivesContainers(t *testing.T) {
	h := testHooks(t)
	ctx := context.Background()
	cfg := container.NetworkConfig{Mode: "bridge"}
	a := startHookContainer(t, "sleep", "120")
	b := startHookContainer(t, "sleep", "120")
	for id, c := range map[string]*hookContainer{"a": a, "b": b} {
		ifaces, err := h.Attach(ctx, id, cfg, c.pid)
		if err != nil {
			t.Fatal(err)
		}
		if len(ifaces) != 1 || ifaces[0].Network != DefaultNetwork || ifaces[0].Name != "eth0" {
			t.Errorf("container %s: got %+v, want eth0 on %s", id, ifaces, DefaultNetwork)
		}
	}
	first, err := h.Networks.Inspect(DefaultNetwork)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := h.Detach(ctx, id, cfg); err != nil {
			t.Fatal(err)
		}
	}
	// Like docker0, the bridge and its rules stay for the next container.
	n, err := h.Networks.Inspect(DefaultNetwork)
	if err != nil {
		t.Fatalf("default network after its last container: %v, want it kept", err)
	}
	if len(n.Endpoints) != 0 {
		t.Errorf("endpoints after every detach: %v", n.Endpoints)
	}
	if _, err := net.InterfaceByName(n.Bridge); err != nil {
		t.Errorf("bridge %s after the last container: %v", n.Bridge, err)
	}
	if out, _ := exec.Command("nft", "list", "table", "inet", h.Networks.Table).CombinedOutput(); !strings.Contains(string(out), n.Bridge) {
		t.Errorf("rules of %s are gone:\n%s", n.Bridge, out)
	}
	c := startHookContainer(t, "sleep", "120")
	ifaces, err := h.Attach(ctx, "c", cfg, c.pid)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := h.Networks.Inspect(DefaultNetwork)
	if again.ID != first.ID || ifaces[0].Addrs[0].Addr() != first.Endpoints["a"].Addrs[0] && ifaces[0].Addrs[0].Addr() != first.Endpoints["b"].Addrs[0] {
		t.Errorf("the next container got network %s address %s, want the same network %s reusing a freed address", again.ID[:12], ifaces[0].Addrs[0], first.ID[:12])
	}
	if err := h.Detach(ctx, "c", cfg); err != nil {
		t.Fatal(err)
	}
	if err := h.Networks.Remove(DefaultNetwork); err != nil {
		t.Fatalf("network rm of the default network: %v", err)
	}
	if _, err := net.InterfaceByName(n.Bridge); err == nil {
		t.Errorf("bridge %s remains after network rm", n.Bridge)
	}
}
