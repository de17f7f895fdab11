package network

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// A root thrown away with rm -rf leaves its bridges and rules; the next
// create on the host (any root) sweeps them, while a live network of
// another root keeps everything.
func TestSweepDiscardedRoot(t *testing.T) {
	live := testManager(t)
	gone := NewManager(t.TempDir())
	gone.Table, gone.Pools = live.Table, live.Pools
	old, err := gone.Create(CreateOptions{Name: "old", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.70.0/24")}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(old.Bridge) })
	kept, err := live.Create(CreateOptions{Name: "kept", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.71.0/24")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(gone.Dir); err != nil {
		t.Fatal(err)
	}
	if _, err := live.Create(CreateOptions{Name: "next", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.72.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	if linkExists(old.Bridge) {
		t.Errorf("bridge %s of the discarded root survived the next create", old.Bridge)
	}
	rules := nftList(t, live.Table)
	if contains(rules, old.Bridge) || contains(rules, "10.251.70.0/24") {
		t.Errorf("rules of the discarded root survived:\n%s", rules)
	}
	if !linkExists(kept.Bridge) || !contains(rules, kept.Bridge) || !contains(rules, "10.251.71.0/24") {
		t.Errorf("the sweep took the live network %s:\n%s", kept.Bridge, rules)
	}
}

// A bridge some container still uses stays, even when its record is gone.
func TestSweepKeepsBridgeWithPorts(t *testing.T) {
	m := testManager(t)
	n, err := m.Create(CreateOptions{Name: "used", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.73.0/24")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, h := testNetns(t)
	att, err := m.Attach(AttachOptions{ContainerID: "c", Network: "used", Interface: "eth0"}, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(att.HostVeth); deleteLink(n.Bridge) })
	if err := os.Remove(filepath.Join(m.Dir, "used.json")); err != nil {
		t.Fatal(err)
	}
	m.sweep()
	if !linkExists(n.Bridge) || !linkExists(att.HostVeth) {
		t.Errorf("the sweep removed bridge %s while container veth %s was on it", n.Bridge, att.HostVeth)
	}
	deleteLink(att.HostVeth)
	m.sweep()
	if linkExists(n.Bridge) {
		t.Errorf("bridge %s without record and ports survived the sweep", n.Bridge)
	}
}

// Rules whose bridge is gone go with the sweep; the network, whose record
// lives, gets bridge and rules back on its next attach, as after a reboot.
func TestSweepRulesOfMissingBridge(t *testing.T) {
	m := testManager(t)
	n, err := m.Create(CreateOptions{Name: "boot", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.74.0/24")}}})
	if err != nil {
		t.Fatal(err)
	}
	deleteLink(n.Bridge)
	m.sweep()
	if contains(nftList(t, m.Table), n.Bridge) {
		t.Errorf("rules of the missing bridge %s survived the sweep", n.Bridge)
	}
	_, h := testNetns(t)
	if _, err := m.Attach(AttachOptions{ContainerID: "c", Network: "boot", Interface: "eth0"}, h); err != nil {
		t.Fatal(err)
	}
	if !linkExists(n.Bridge) || !contains(nftList(t, m.Table), "10.251.74.0/24") {
		t.Errorf("attach did not bring back bridge %s and its masquerade", n.Bridge)
	}
	if err := m.Detach("c", "boot"); err != nil {
		t.Fatal(err)
	}
}

// Endpoint changes are not synced; a record torn by a power loss falls
// back on the copy made at create, without endpoints, since every
// container died with the host.
func TestTornRecordFallsBackOnCreated(t *testing.T) {
	s := &store{dir: t.TempDir()}
	n := &Network{Name: "net", ID: "0123456789abcdef", Bridge: "stk-0123456789a", MTU: 1500,
		Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.1.2.0/24"), Gateway: netip.MustParseAddr("10.1.2.1")}}, Endpoints: map[string]Endpoint{}}
	if err := s.create(n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.update("net", func(n *Network) error {
		n.Endpoints["c"] = Endpoint{ContainerID: "c", Addrs: []netip.Addr{netip.MustParseAddr("10.1.2.2")}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, torn := range []string{"", `{"name": "net", "id": "01`} {
		if err := os.WriteFile(s.path("net"), []byte(torn), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := s.load("net")
		if err != nil {
			t.Fatalf("load of torn record %q: %v", torn, err)
		}
		if got.ID != n.ID || got.Subnets[0] != n.Subnets[0] || len(got.Endpoints) != 0 {
			t.Errorf("torn record %q: got %+v, want the created network without endpoints", torn, got)
		}
	}
	if nets, err := s.list(); err != nil || len(nets) != 1 {
		t.Errorf("list: got %d networks, %v; want the one network", len(nets), err)
	}
	if err := s.remove("net"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(s.dir); len(entries) != 1 || entries[0].Name() != ".lock" {
		t.Errorf("remove left %v, want only .lock", entries)
	}
}

// Release leaves the veth to the container's namespace: off the bridge at
// once, gone with the namespace, and swept when something keeps the
// namespace alive.
func TestReleaseLeavesVethToNamespace(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "rel", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.75.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	_, h := testNetns(t)
	att, err := m.Attach(AttachOptions{ContainerID: "c", Network: "rel", Interface: "eth0"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Release("c", "rel"); err != nil {
		t.Fatal(err)
	}
	if err := m.Release("c", "rel"); err != nil {
		t.Errorf("second release: %v", err)
	}
	if n, _ := m.Inspect("rel"); len(n.Endpoints) != 0 {
		t.Errorf("endpoints after release: %v", n.Endpoints)
	}
	link, err := netlink.LinkByName(att.HostVeth)
	if err != nil {
		t.Fatalf("veth %s: %v (the namespace lives, so should its veth)", att.HostVeth, err)
	}
	if link.Attrs().MasterIndex != 0 || link.Attrs().Flags&net.FlagUp != 0 {
		t.Errorf("released veth %s is still on its bridge or up", att.HostVeth)
	}
	// The namespace is still held (by h): the sweep takes the veth.
	m.sweep()
	if linkExists(att.HostVeth) {
		t.Errorf("the sweep left released veth %s", att.HostVeth)
	}

	// A second container: its namespace goes, and the kernel takes the
	// veth with it.
	runtime.LockOSThread()
	origin, _ := netns.Get()
	h2, err := netns.New()
	netns.Set(origin)
	origin.Close()
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatal(err)
	}
	att, err = m.Attach(AttachOptions{ContainerID: "d", Network: "rel", Interface: "eth0"}, h2)
	if err != nil {
		h2.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(att.HostVeth) })
	if err := m.Release("d", "rel"); err != nil {
		t.Fatal(err)
	}
	h2.Close()
	deadline := time.Now().Add(10 * time.Second)
	for linkExists(att.HostVeth) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if linkExists(att.HostVeth) {
		t.Errorf("veth %s outlived its container's namespace", att.HostVeth)
	}
}

// The sweep leaves alone the veths of attached containers.
func TestSweepKeepsAttachedVeth(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "live", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.76.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	_, h := testNetns(t)
	att, err := m.Attach(AttachOptions{ContainerID: "c", Network: "live", Interface: "eth0"}, h)
	if err != nil {
		t.Fatal(err)
	}
	m.sweep()
	if !linkExists(att.HostVeth) {
		t.Errorf("the sweep removed veth %s of an attached container", att.HostVeth)
	}
	if err := m.Detach("c", "live"); err != nil {
		t.Fatal(err)
	}
	if linkExists(att.HostVeth) {
		t.Errorf("detach left veth %s", att.HostVeth)
	}
}

// Port rules name the container's veth: those of a container whose veth
// is released (it died and nobody unpublished, as when its root was thrown
// away) go with the sweep; those of a running container stay.
func TestSweepPortRulesOfDeadContainer(t *testing.T) {
	m := testManager(t)
	_, att := publishSetup(t, m, "10.251.77.0/24")
	p, err := m.Publish("web", []PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), ContainerPort: 8080, Proto: "tcp"}}, []netip.Addr{att.Addrs[0].Addr()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	portRules := func() []string {
		c, err := nftables.New()
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		ch := m.chains(m.table())
		for _, chain := range []*nftables.Chain{ch.prerouting, ch.output} {
			rules, _ := c.GetRules(chain.Table, chain)
			for _, r := range rules {
				tags = append(tags, string(r.UserData))
			}
		}
		return tags
	}
	want := "port:web@" + att.HostVeth
	if got := portRules(); len(got) != 2 || got[0] != want || got[1] != want {
		t.Fatalf("port rules: got tags %q, want two tagged %q", got, want)
	}
	m.sweep()
	if got := portRules(); len(got) != 2 {
		t.Errorf("the sweep took the port rules of a running container: left %q", got)
	}
	if err := m.Release("web", "pub"); err != nil {
		t.Fatal(err)
	}
	m.sweep()
	if got := portRules(); len(got) != 0 {
		t.Errorf("port rules of a released container survived the sweep: %q", got)
	}
	if err := m.Unpublish("web"); err != nil {
		t.Errorf("unpublish after the sweep: %v", err)
	}
}

// Removing a network takes with it the veths its containers released, even
// while their namespaces live on, so that nothing of it outlives `down`.
func TestRemoveDropsReleasedVeths(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "gone", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.78.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	_, h := testNetns(t)
	att, err := m.Attach(AttachOptions{ContainerID: "c", Network: "gone", Interface: "eth0"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Release("c", "gone"); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("gone"); err != nil {
		t.Fatal(err)
	}
	if linkExists(att.HostVeth) {
		t.Errorf("released veth %s outlived the removal of its network", att.HostVeth)
	}
}

// A container restarted before the kernel took its released veth (its old
// namespace still alive) gets a new pair under the same names.
func TestAttachAfterRelease(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "again", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.79.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	name, h := testNetns(t)
	if _, err := m.Attach(AttachOptions{ContainerID: "c", Network: "again", Interface: "eth0", DefaultRoute: true}, h); err != nil {
		t.Fatal(err)
	}
	if err := m.Release("c", "again"); err != nil {
		t.Fatal(err)
	}
	att, err := m.Attach(AttachOptions{ContainerID: "c", Network: "again", Interface: "eth0", DefaultRoute: true}, h)
	if err != nil {
		t.Fatalf("attach over the released veth: %v", err)
	}
	link, err := netlink.LinkByName(att.HostVeth)
	if err != nil || link.Attrs().MasterIndex == 0 || link.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("veth %s after the second attach: %v, want it up on the bridge", att.HostVeth, err)
	}
	if out := inNetns(t, name, "ip", "-o", "addr", "show", "eth0"); !contains(out, att.Addrs[0].String()) {
		t.Errorf("eth0 after the second attach:\n%s", out)
	}
	if err := m.Detach("c", "again"); err != nil {
		t.Fatal(err)
	}
}

// The bridge and the host ends of its veths share a link group, which
// Remove deletes in one request.
func TestRemoveDeletesLinkGroup(t *testing.T) {
	m := testManager(t)
	n, err := m.Create(CreateOptions{Name: "grouped", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.81.0/24")}}})
	if err != nil {
		t.Fatal(err)
	}
	var veths []string
	for _, id := range []string{"c1", "c2"} {
		_, h := testNetns(t)
		att, err := m.Attach(AttachOptions{ContainerID: id, Network: "grouped", Interface: "eth0"}, h)
		if err != nil {
			t.Fatal(err)
		}
		veths = append(veths, att.HostVeth)
	}
	group := linkGroup(n.ID)
	for _, name := range append([]string{n.Bridge}, veths...) {
		l, err := netlink.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if l.Attrs().Group != group {
			t.Errorf("link %s: group %#x, want the network's %#x", name, l.Attrs().Group, group)
		}
	}
	// One released, one still attached when the container died with a
	// crash that left no record of it.
	if err := m.Release("c1", "grouped"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.st().update("grouped", func(n *Network) error { delete(n.Endpoints, "c2"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("grouped"); err != nil {
		t.Fatal(err)
	}
	for _, name := range append([]string{n.Bridge}, veths...) {
		if linkExists(name) {
			t.Errorf("link %s outlived the removal of its network", name)
		}
	}
}

// A link of another's in the network's link group makes Remove delete
// the network's links one by one, and leaves it alone.
func TestRemoveSparesForeignLinkInGroup(t *testing.T) {
	m := testManager(t)
	n, err := m.Create(CreateOptions{Name: "shared", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.82.0/24")}}})
	if err != nil {
		t.Fatal(err)
	}
	foreign := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "stktestfor" + n.ID[:4], Group: linkGroup(n.ID)}}
	if err := netlink.LinkAdd(foreign); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(foreign.Name) })
	if err := m.Remove("shared"); err != nil {
		t.Fatal(err)
	}
	if linkExists(n.Bridge) {
		t.Errorf("bridge %s outlived the removal of its network", n.Bridge)
	}
	if !linkExists(foreign.Name) {
		t.Errorf("the removal of a network deleted %s, a link of another's in its link group", foreign.Name)
	}
}

// A closed Publication leaves Unpublish nothing to do in this process,
// until the container publishes again.
func TestUnpublishAfterRepublish(t *testing.T) {
	m := testManager(t)
	_, att := publishSetup(t, m, "10.251.83.0/24")
	portRules := func() int {
		c, err := nftables.New()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		ch := m.chains(m.table())
		for _, chain := range []*nftables.Chain{ch.prerouting, ch.output} {
			rules, _ := c.GetRules(chain.Table, chain)
			n += len(rules)
		}
		return n
	}
	publish := func() *Publication {
		p, err := m.Publish("web", []PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), ContainerPort: 8080, Proto: "tcp"}}, []netip.Addr{att.Addrs[0].Addr()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	first := publish()
	if err := first.Close(); err != nil || portRules() != 0 {
		t.Fatalf("close: %v, %d rules left", err, portRules())
	}
	if err := m.Unpublish("web"); err != nil {
		t.Errorf("unpublish after close: %v", err)
	}
	publish()
	if portRules() != 2 {
		t.Fatalf("published again: %d rules, want 2", portRules())
	}
	if err := m.Unpublish("web"); err != nil || portRules() != 0 {
		t.Errorf("unpublish of the new publication: %v, %d rules left", err, portRules())
	}
}
