package network

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// bridgeName derives a bridge name from a network ID: "stk-" and 11 hex
// digits, within the kernel's 15-character limit.
func bridgeName(id string) string { return "stk-" + id[:11] }

// ensureBridge creates the bridge of n if it is missing (first create, or
// after a reboot) and gives it its MTU, gateway addresses, the up state and
// alias, which names its record for sweepBridges.
func ensureBridge(n *Network, alias string) error {
	link, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if !errors.As(err, &notFound) {
			return fmt.Errorf("bridge %s: %w", n.Bridge, err)
		}
		br := &netlink.Bridge{LinkAttrs: netlink.NewLinkAttrs()}
		br.Name = n.Bridge
		br.MTU = n.MTU
		br.Alias = alias
		br.Group = linkGroup(n.ID)
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create bridge %s: %w", n.Bridge, err)
		}
		if link, err = netlink.LinkByName(n.Bridge); err != nil {
			return fmt.Errorf("bridge %s: %w", n.Bridge, err)
		}
	}
	if _, ok := link.(*netlink.Bridge); !ok {
		return fmt.Errorf("link %s exists and is a %s, not a bridge", n.Bridge, link.Type())
	}
	if alias != "" && link.Attrs().Alias != alias {
		if err := netlink.LinkSetAlias(link, alias); err != nil {
			return fmt.Errorf("bridge %s: set alias: %w", n.Bridge, err)
		}
	}
	if link.Attrs().MTU != n.MTU {
		if err := netlink.LinkSetMTU(link, n.MTU); err != nil {
			return fmt.Errorf("bridge %s: set mtu %d: %w", n.Bridge, n.MTU, err)
		}
	}
	for _, s := range n.Subnets {
		if s.Prefix.Addr().Is6() {
			// Duplicate address detection would hold the gateway
			// back for a second after the bridge comes up.
			_ = sysctl("net/ipv6/conf/"+n.Bridge+"/accept_dad", "0")
		}
		addr := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(s.Gateway, s.Prefix.Bits()))}
		if err := netlink.AddrReplace(link, addr); err != nil {
			return fmt.Errorf("bridge %s: address %s: %w", n.Bridge, addr.IPNet, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("bridge %s: up: %w", n.Bridge, err)
	}
	return nil
}

// linkGroup is the link group of a network's bridge and of its veths'
// host ends, derived from its ID: removing the network deletes them all
// in one request (see Manager.Remove). Other software rarely uses groups,
// and never one with the top bit set; links of another group of the same
// number make the removal delete link by link instead.
func linkGroup(networkID string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(networkID))
	return h.Sum32() | 1<<31
}

// groupIsNetworks reports whether the links of group are the bridge of
// one network and veths of stack's on it or released from it: then
// deleting the group deletes nothing else.
func groupIsNetworks(links []netlink.Link, bridge string, group uint32) bool {
	brIndex := 0
	for _, l := range links {
		if a := l.Attrs(); a.Name == bridge && a.Group == group {
			if _, ok := l.(*netlink.Bridge); ok {
				brIndex = a.Index
			}
		}
	}
	if brIndex == 0 {
		return false
	}
	for _, l := range links {
		a := l.Attrs()
		if a.Group != group || a.Index == brIndex {
			continue
		}
		if _, ok := l.(*netlink.Veth); !ok || !strings.HasPrefix(a.Name, "stv") || (a.MasterIndex != 0 && a.MasterIndex != brIndex) {
			return false
		}
	}
	return true
}

// deleteGroup deletes every link of group in one request; a group
// without links is fine.
func deleteGroup(group uint32) error {
	return onHostLinks(deleteGroupRequest(group), fmt.Sprintf("delete link group %#x", group))
}

// onHostLinks sends req, a request about links of the host's namespace,
// on a socket of its own; links that are gone (ENODEV) are fine.
func onHostLinks(req *nl.NetlinkRequest, what string) error {
	host, err := openRtnl(netns.None())
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer host.close()
	if err := host.exec(req); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// deleteLink removes a link by name; a link that is already gone is fine.
func deleteLink(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return nil
		}
		return err
	}
	if err := netlink.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// unplugLink takes a link off its bridge and down, in one message that
// names it; a link that is already gone is fine.
func unplugLink(name string) error {
	return onHostLinks(unplugRequest(name), "unplug "+name)
}

// hostMTU is the MTU of the link that carries the default route, so that
// containers do not send packets the uplink would have to fragment.
func hostMTU() int {
	routes, err := redumped(func() ([]netlink.Route, error) { return netlink.RouteList(nil, netlink.FAMILY_V4) })
	if err == nil {
		for _, r := range routes {
			if r.Dst != nil && !isDefault(r.Dst) {
				continue
			}
			if link, err := netlink.LinkByIndex(r.LinkIndex); err == nil && link.Attrs().MTU > 0 {
				return link.Attrs().MTU
			}
		}
	}
	return 1500
}

func isDefault(n *net.IPNet) bool {
	ones, _ := n.Mask.Size()
	return ones == 0
}

// hostRoutes lists the destinations of the host's routes (both families,
// main table), which a new subnet must not overlap.
func hostRoutes() ([]netip.Prefix, error) {
	routes, err := redumped(func() ([]netlink.Route, error) { return netlink.RouteList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	var out []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		if p, ok := prefixOf(r.Dst); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func sysctl(key, value string) error {
	return os.WriteFile("/proc/sys/"+key, []byte(value), 0o644)
}

// redumped runs a netlink dump again when a concurrent change of the
// host's links or routes interrupted it: the kernel then flags the answer
// as possibly missing entries, which a sweep or an overlap check must not
// act on.
func redumped[T any](dump func() ([]T, error)) ([]T, error) {
	for i := 0; ; i++ {
		out, err := dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) || i == 9 {
			return out, err
		}
	}
}

// linkList lists the host's links, whole.
func linkList() ([]netlink.Link, error) {
	return redumped(netlink.LinkList)
}
