package network

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// A batch goes on past a failed message and reports that message's error.
func TestRtnlBatchReportsFailure(t *testing.T) {
	needRoot(t)
	name, ns := testNetns(t)
	r, err := openRtnl(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	err = r.exec(setLinkRequest(9999, "", true, ""), setLinkRequest(loopbackIndex, "", true, ""))
	if !errors.Is(err, unix.ENODEV) {
		t.Errorf("exec: got %v, want ENODEV", err)
	}
	if out := inNetns(t, name, "ip", "-o", "link", "show", "lo"); !strings.Contains(out, "UP") {
		t.Errorf("lo after the batch: %s", out)
	}
	if _, err := r.index("eth9"); !errors.Is(err, unix.ENODEV) {
		t.Errorf("index of a missing link: got %v, want ENODEV", err)
	}
}

// The container end comes in under a temporary name when its name is
// taken, and configureInside renames it and raises it with its addresses,
// the loopback and the default route in one batch.
func TestConfigureInsideRenames(t *testing.T) {
	needRoot(t)
	name, ns := testNetns(t)
	host := "stvtest" + randHex(3)
	inside, err := openRtnl(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer inside.close()
	hostSock, err := openRtnl(netns.None())
	if err != nil {
		t.Fatal(err)
	}
	defer hostSock.close()
	mac := net.HardwareAddr{0x02, 0x42, 10, 200, 0, 2}
	if err := hostSock.exec(vethRequest(host, 1400, 0, 0, "stptmp", mac, ns)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(host) })
	att := &Attachment{
		Addrs:    []netip.Prefix{netip.MustParsePrefix("10.200.0.2/24"), netip.MustParsePrefix("fd00:c8::2/64")},
		Gateways: []netip.Addr{netip.MustParseAddr("10.200.0.1"), netip.MustParseAddr("fd00:c8::1")},
	}
	if err := configureInside(inside, "stptmp", nil, att, AttachOptions{Interface: "eth0", DefaultRoute: true}); err != nil {
		t.Fatal(err)
	}
	if att.MAC != mac.String() {
		t.Errorf("MAC: got %s, want %s", att.MAC, mac)
	}
	link := inNetns(t, name, "ip", "-o", "addr", "show", "dev", "eth0")
	for _, want := range []string{"10.200.0.2/24", "brd 10.200.0.255", "fd00:c8::2/64"} {
		if !strings.Contains(link, want) {
			t.Errorf("eth0 lacks %q: %s", want, link)
		}
	}
	for _, c := range []struct{ family, want string }{{"-4", "default via 10.200.0.1 dev eth0"}, {"-6", "default via fd00:c8::1 dev eth0"}} {
		if out := inNetns(t, name, "ip", c.family, "route", "show", "default"); !strings.Contains(out, c.want) {
			t.Errorf("routes %s: got %q, want %q", c.family, out, c.want)
		}
	}
	if out := inNetns(t, name, "ip", "-o", "link", "show", "lo"); !strings.Contains(out, "UP") {
		t.Errorf("lo: %s", out)
	}
}
