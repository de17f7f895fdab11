package network

import (
	"errors"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestCreateRemove(t *testing.T) {
	m := testManager(t)
	n, err := m.Create(CreateOptions{Name: "front", Labels: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Bridge) > 15 {
		t.Errorf("bridge name %q is longer than 15 characters", n.Bridge)
	}
	link, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		t.Fatalf("bridge %s: %v", n.Bridge, err)
	}
	if got, want := link.Attrs().MTU, hostMTU(); got != want {
		t.Errorf("bridge mtu: got %d, want the host's %d", got, want)
	}
	addrs, _ := netlink.AddrList(link, netlink.FAMILY_V4)
	first := n.Subnets[0].Prefix.String()
	gw := n.Subnets[0].Gateway.String() + "/24"
	if !m.Pools[0].Base.Contains(n.Subnets[0].Prefix.Addr()) || n.Subnets[0].Prefix.Bits() != 24 {
		t.Errorf("automatic subnet %s is not a /24 of the pool %s", first, m.Pools[0].Base)
	}
	if len(addrs) != 1 || addrs[0].IPNet.String() != gw {
		t.Errorf("bridge addresses: got %v, want %s", addrs, gw)
	}
	if _, err := m.Create(CreateOptions{Name: "front"}); !errors.Is(err, ErrExists) {
		t.Errorf("second create: got %v, want ErrExists", err)
	}
	// The first subnet is now a host route, so the next network skips it.
	n2, err := m.Create(CreateOptions{Name: "back", Internal: true})
	if err != nil {
		t.Fatal(err)
	}
	second := n2.Subnets[0].Prefix.String()
	if n2.Subnets[0].Prefix.Overlaps(n.Subnets[0].Prefix) {
		t.Errorf("second network subnet %s overlaps the first, %s", second, first)
	}
	rules := nftList(t, m.Table)
	if !contains(rules, first) || !contains(rules, "masquerade") || !contains(rules, "drop") {
		t.Errorf("nftables table lacks masquerade for front or isolation for back:\n%s", rules)
	}
	if !contains(rules, `iifname "`+n.Bridge+`" ip daddr 127.0.0.0/8 drop`) {
		t.Errorf("no guard against the host's loopback from %s:\n%s", n.Bridge, rules)
	}
	if contains(rules, second) {
		t.Errorf("internal network got a masquerade rule:\n%s", rules)
	}
	if err := m.Remove("front"); err != nil {
		t.Fatal(err)
	}
	if linkExists(n.Bridge) {
		t.Errorf("bridge %s still exists after remove", n.Bridge)
	}
	if contains(nftList(t, m.Table), first) {
		t.Errorf("masquerade rule of front remains")
	}
	if err := m.Remove("back"); err != nil {
		t.Fatal(err)
	}
	if tableExists(t, m.Table) {
		t.Errorf("nftables table %s remains after the last network", m.Table)
	}
	if entries, _ := os.ReadDir(m.Dir); len(entries) != 1 { // .lock
		t.Errorf("records remain: %v", entries)
	}
	if err := m.Remove("back"); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove again: got %v, want ErrNotFound", err)
	}
}

func TestCreateValidation(t *testing.T) {
	m := testManager(t)
	tests := []CreateOptions{
		{Name: "bad name"},
		{Name: "x", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.9.0/24"), Gateway: netip.MustParseAddr("10.252.0.1")}}},
		{Name: "x", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.9.0/24"), IPRange: netip.MustParsePrefix("10.251.0.0/16")}}},
		{Name: "x", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("fd00:9::/64")}}},
		{Name: "x", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.9.0/31")}}},
	}
	for _, opts := range tests {
		if _, err := m.Create(opts); err == nil {
			t.Errorf("create %+v: got no error, want one", opts)
		}
	}
	if nets, _ := m.List(); len(nets) != 0 {
		t.Errorf("failed creates left records: %v", nets)
	}
}

func TestAttachDetach(t *testing.T) {
	m := testManager(t)
	sub := Subnet{Prefix: netip.MustParsePrefix("10.251.40.0/24"), IPRange: netip.MustParsePrefix("10.251.40.64/26")}
	n, err := m.Create(CreateOptions{Name: "app", Subnets: []Subnet{sub}, IPv6: true})
	if err != nil {
		t.Fatal(err)
	}
	ns1, h1 := testNetns(t)
	ns2, h2 := testNetns(t)
	a1, err := m.Attach(AttachOptions{ContainerID: "c1", Network: "app", Interface: "eth0", DefaultRoute: true}, h1)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := m.Attach(AttachOptions{ContainerID: "c2", Network: "app", Interface: "eth0", DefaultRoute: true,
		Addrs: []netip.Addr{netip.MustParseAddr("10.251.40.7")}, MAC: "02:42:0a:fb:28:07"}, h2)
	if err != nil {
		t.Fatal(err)
	}
	if got := a1.Addrs[0].String(); got != "10.251.40.65/24" {
		t.Errorf("dynamic address: got %s, want 10.251.40.65/24", got)
	}
	if got := a2.Addrs[0].String(); got != "10.251.40.7/24" || a2.MAC != "02:42:0a:fb:28:07" {
		t.Errorf("static address and mac: got %s %s", got, a2.MAC)
	}
	if len(a1.Addrs) != 2 || !a1.Addrs[1].Addr().Is6() {
		t.Errorf("ipv6 address missing: %v", a1.Addrs)
	}
	out := inNetns(t, ns1, "ip", "-o", "addr", "show", "dev", "eth0")
	if !contains(out, "10.251.40.65/24") {
		t.Errorf("eth0 in container: %s", out)
	}
	if out := inNetns(t, ns1, "ip", "route", "show", "default"); !contains(out, "via 10.251.40.1 dev eth0") {
		t.Errorf("default route: got %q", out)
	}
	if out := inNetns(t, ns1, "ip", "-o", "link", "show", "eth0"); !contains(out, "mtu "+strconv.Itoa(n.MTU)) {
		t.Errorf("container mtu: got %q, want %d", out, n.MTU)
	}
	if out := inNetns(t, ns1, "ip", "-o", "link", "show", "lo"); !contains(out, "UP") {
		t.Errorf("lo not up: %q", out)
	}
	inNetns(t, ns1, "busybox", "ping", "-c", "1", "-W", "2", "10.251.40.7")
	inNetns(t, ns2, "busybox", "ping", "-c", "1", "-W", "2", "10.251.40.1")
	inNetns(t, ns1, "busybox", "ping", "-c", "1", "-W", "2", a2.Addrs[1].Addr().String())

	if err := m.Remove("app"); !errors.Is(err, ErrInUse) {
		t.Errorf("remove with endpoints: got %v, want ErrInUse", err)
	}
	for _, id := range []string{"c1", "c2"} {
		if err := m.Detach(id, "app"); err != nil {
			t.Fatal(err)
		}
		if err := m.Detach(id, "app"); err != nil {
			t.Errorf("second detach of %s: %v", id, err)
		}
	}
	if linkExists(a1.HostVeth) || linkExists(a2.HostVeth) {
		t.Errorf("host veths remain after detach")
	}
	rec, _ := m.Inspect("app")
	if len(rec.Endpoints) != 0 {
		t.Errorf("IPAM records remain: %v", rec.Endpoints)
	}
	if err := m.Remove("app"); err != nil {
		t.Fatal(err)
	}
	if err := m.Detach("c1", "app"); err != nil {
		t.Errorf("detach from removed network: %v", err)
	}
}

func TestAttachFailureLeavesNothing(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "app", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.41.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	_, h := testNetns(t)
	_, err := m.Attach(AttachOptions{ContainerID: "c1", Network: "app", Interface: "eth0", MAC: "not-a-mac"}, h)
	if err == nil {
		t.Fatal("attach with a bad mac: got no error")
	}
	n, _ := m.Inspect("app")
	if len(n.Endpoints) != 0 || linkExists(hostVethName("c1", n.ID)) {
		t.Errorf("failed attach left an allocation or a link: %v", n.Endpoints)
	}
}

func TestConcurrentAllocation(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "busy", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.42.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// A fresh store per goroutine takes the file lock through
			// its own descriptor, as separate processes would.
			s := &store{dir: m.Dir}
			_, err := s.update("busy", func(n *Network) error {
				id := "c" + strconv.Itoa(i)
				a, err := assign(n, id, nil)
				n.Endpoints[id] = Endpoint{ContainerID: id, Addrs: a}
				return err
			})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, _ := m.Inspect("busy")
	seen := map[netip.Addr]bool{}
	for _, ep := range n.Endpoints {
		seen[ep.Addrs[0]] = true
	}
	if len(n.Endpoints) != 40 || len(seen) != 40 {
		t.Errorf("got %d endpoints with %d distinct addresses, want 40 and 40", len(n.Endpoints), len(seen))
	}
}

func TestTableSharedAcrossRoots(t *testing.T) {
	a := testManager(t)
	b := NewManager(t.TempDir())
	b.Table, b.Pools = a.Table, a.Pools
	t.Cleanup(func() {
		if n, err := b.Inspect("two"); err == nil {
			deleteLink(n.Bridge)
		}
	})
	if _, err := a.Create(CreateOptions{Name: "one", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.60.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	nb, err := b.Create(CreateOptions{Name: "two", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.61.0/24")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Remove("one"); err != nil {
		t.Fatal(err)
	}
	if !contains(nftList(t, a.Table), "10.251.61.0/24") {
		t.Fatalf("removing root a's last network dropped root b's rules")
	}
	// Rules lost behind stack's back come back with the next attach.
	a.deleteTable()
	_, h := testNetns(t)
	if _, err := b.Attach(AttachOptions{ContainerID: "c", Network: "two", Interface: "eth0"}, h); err != nil {
		t.Fatal(err)
	}
	if !contains(nftList(t, b.Table), "10.251.61.0/24") {
		t.Errorf("attach did not restore the masquerade of %s", nb.Name)
	}
	b.Detach("c", "two")
	if err := b.Remove("two"); err != nil {
		t.Fatal(err)
	}
	if tableExists(t, b.Table) {
		t.Errorf("table remains after the last network of every root")
	}
}

func TestConcurrentCreateAcrossRoots(t *testing.T) {
	roots := []*Manager{testManager(t), testManager(t), testManager(t)}
	var wg sync.WaitGroup
	subnets := make([]string, len(roots))
	for i, m := range roots {
		m.Table = roots[0].Table
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := m.Create(CreateOptions{Name: "same"})
			if err != nil {
				t.Error(err)
				return
			}
			subnets[i] = n.Subnets[0].Prefix.String()
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, s := range subnets {
		if seen[s] {
			t.Errorf("two roots got subnet %s: %v", s, subnets)
		}
		seen[s] = true
	}
	for _, m := range roots {
		m.Remove("same")
	}
}
