package network

import (
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// fakeUplink makes an "outside" namespace reached from the host through a
// veth pair, with a UDP service on 10.251.92.2:7777 that answers with the
// source address it saw.
func fakeUplink(t *testing.T) {
	t.Helper()
	_, outside := testNetns(t)
	host := "stu" + randHex(4)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host}, PeerName: "stp" + host[3:], PeerNamespace: netlink.NsFd(outside)}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(host) })
	addr := &netlink.Addr{IPNet: ipNet(netip.MustParsePrefix("10.251.92.1/24"))}
	if err := netlink.AddrAdd(veth, addr); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		t.Fatal(err)
	}
	h, err := netlink.NewHandleAt(outside)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	peer, err := h.LinkByName("stp" + host[3:])
	if err != nil {
		t.Fatal(err)
	}
	h.AddrAdd(peer, &netlink.Addr{IPNet: ipNet(netip.MustParsePrefix("10.251.92.2/24"))})
	h.LinkSetUp(peer)
	// The outside can answer every test subnet directly, so only the
	// forward filter can keep an internal network's packets from it.
	if err := h.RouteAdd(&netlink.Route{Dst: ipNet(netip.MustParsePrefix("10.251.0.0/16")), Gw: net.ParseIP("10.251.92.1"), LinkIndex: peer.Attrs().Index}); err != nil {
		t.Fatal(err)
	}
	pc := listenUDPIn(t, outside, ":7777")
	go func() {
		buf := make([]byte, 100)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(from.(*net.UDPAddr).IP.String()), from)
		}
	}()
}

func listenUDPIn(t *testing.T, ns netns.NsHandle, addr string) net.PacketConn {
	t.Helper()
	var pc net.PacketConn
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // the thread dies in the namespace
		if err = netns.Set(ns); err == nil {
			pc, err = net.ListenPacket("udp", addr)
		}
	}()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// askFrom sends one datagram from inside ns and returns the answer, or ""
// when none came.
func askFrom(t *testing.T, ns netns.NsHandle, addr string) string {
	t.Helper()
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if netns.Set(ns) != nil {
			return
		}
		c, err := net.Dial("udp", addr)
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 100)
		for try := 0; try < 3 && got == ""; try++ {
			c.Write([]byte("x"))
			c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			if n, err := c.Read(buf); err == nil {
				got = string(buf[:n])
			}
		}
	}()
	<-done
	return got
}

func TestEgressMasquerade(t *testing.T) {
	m := testManager(t)
	fakeUplink(t)
	if _, err := m.Create(CreateOptions{Name: "out", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.90.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create(CreateOptions{Name: "sealed", Internal: true, Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.91.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	_, open := testNetns(t)
	_, closed := testNetns(t)
	for id, a := range map[string]struct {
		net string
		ns  netns.NsHandle
	}{"open": {"out", open}, "closed": {"sealed", closed}} {
		if _, err := m.Attach(AttachOptions{ContainerID: id, Network: a.net, Interface: "eth0", DefaultRoute: true}, a.ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Detach(id, a.net) })
	}
	if got := askFrom(t, open, "10.251.92.2:7777"); got != "10.251.92.1" {
		t.Errorf("outside saw the container as %q, want the host's 10.251.92.1 (masquerade)", got)
	}
	// Internal networks give no default route; add one by hand so that
	// the forward filter, not the missing route, is what stops it.
	h, err := netlink.NewHandleAt(closed)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: net.ParseIP("10.251.91.1")}); err != nil {
		t.Fatal(err)
	}
	if got := askFrom(t, closed, "10.251.92.2:7777"); got != "" {
		t.Errorf("a container on an internal network reached the outside: %q", got)
	}
}
