package network

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// AttachOptions say how one container joins one network.
type AttachOptions struct {
	ContainerID string
	Network     string
	Interface   string       // name inside the container: eth0, eth1, ...
	Addrs       []netip.Addr // static addresses, at most one per family
	MAC         string       // "" lets the kernel choose
	// DefaultRoute routes everything else through this network's
	// gateways; it is set for the container's first network.
	DefaultRoute bool
}

// Attachment is what Attach set up.
type Attachment struct {
	Network   string
	Interface string
	HostVeth  string
	Addrs     []netip.Prefix
	Gateways  []netip.Addr
	MAC       string
	Internal  bool
}

// hostVethName is derived from the container and network so that a
// detach after a crash finds the link without any record.
func hostVethName(containerID, networkID string) string {
	sum := sha256.Sum256([]byte(containerID + "/" + networkID))
	return "stv" + hex.EncodeToString(sum[:])[:11]
}

func peerTempName(host string) string { return "stp" + host[3:] }

// Attach gives the container whose network namespace is target an
// interface on the network, with its addresses, loopback up and, if asked,
// the default route. A failure leaves no link and no allocation behind.
func (m *Manager) Attach(opts AttachOptions, target netns.NsHandle) (*Attachment, error) {
	n, err := m.Inspect(opts.Network)
	if err != nil {
		return nil, err
	}
	br, rules, err := m.bridgeReady(n)
	if err != nil {
		return nil, fmt.Errorf("network %q: %w", n.Name, err)
	}
	att, err := m.attach(n, br, opts, target)
	if rerr := <-rules; rerr != nil {
		rerr = fmt.Errorf("network %q: %w", n.Name, rerr)
		if err == nil {
			rerr = errors.Join(rerr, m.Detach(opts.ContainerID, opts.Network))
		}
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return nil, err
	}
	return att, nil
}

// attach allocates the container's addresses on n and plumbs its
// interface into target; a failure releases the allocation.
func (m *Manager) attach(n *Network, br netlink.Link, opts AttachOptions, target netns.NsHandle) (*Attachment, error) {
	host := hostVethName(opts.ContainerID, n.ID)
	n, err := m.st().update(opts.Network, func(n *Network) error {
		addrs, err := assign(n, opts.ContainerID, opts.Addrs)
		if err != nil {
			return err
		}
		n.Endpoints[opts.ContainerID] = Endpoint{ContainerID: opts.ContainerID, Addrs: addrs, HostVeth: host, Interface: opts.Interface, MAC: opts.MAC}
		return nil
	})
	if err != nil {
		return nil, err
	}
	att, err := plumb(n, br, n.Endpoints[opts.ContainerID], opts, target)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("network %q: %w", n.Name, err), m.Detach(opts.ContainerID, opts.Network))
	}
	return att, nil
}

// bridgeReady returns n's bridge, making it and its rules again where they
// are missing (after a reboot, or a flush of the host's ruleset). A bridge
// that exists costs one lookup; its rules are checked (one dump of a
// chain, about a millisecond) and, if need be, repaired while the caller
// plumbs the container: the channel yields the outcome. No packet of the
// container flows before the attach returns, so the order does not matter.
func (m *Manager) bridgeReady(n *Network) (netlink.Link, <-chan error, error) {
	rules := make(chan error, 1)
	br, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		if err := m.setUp(n, false); err != nil {
			return nil, nil, err
		}
		rules <- nil
		br, err = netlink.LinkByName(n.Bridge)
		return br, rules, err
	}
	go func() {
		if m.hasNetworkRules(n) {
			rules <- nil
			return
		}
		rules <- m.addNetworkRules(n, false)
	}()
	return br, rules, nil
}

// plumb makes the veth pair, its container end already in target under its
// final name and MAC address, and configures that end.
func plumb(n *Network, br netlink.Link, ep Endpoint, opts AttachOptions, target netns.NsHandle) (*Attachment, error) {
	att := &Attachment{Network: n.Name, Interface: opts.Interface, HostVeth: ep.HostVeth, Internal: n.Internal}
	for i, s := range n.Subnets {
		att.Addrs = append(att.Addrs, netip.PrefixFrom(ep.Addrs[i], s.Prefix.Bits()))
		att.Gateways = append(att.Gateways, s.Gateway)
	}
	mac, err := interfaceMAC(opts.MAC, att.Addrs)
	if err != nil {
		return nil, err
	}
	h, err := netlink.NewHandleAt(target)
	if err != nil {
		return nil, fmt.Errorf("open container network namespace: %w", err)
	}
	defer h.Close()
	// One request makes both ends: the host end up on the bridge, the
	// container end in target under its name and with its MAC address.
	attrs := netlink.NewLinkAttrs()
	attrs.Name = ep.HostVeth
	attrs.MTU = n.MTU
	attrs.MasterIndex = br.Attrs().Index
	attrs.Flags = net.FlagUp
	pair := &netlink.Veth{LinkAttrs: attrs, PeerName: opts.Interface, PeerHardwareAddr: mac, PeerNamespace: netlink.NsFd(target)}
	err = netlink.LinkAdd(pair)
	if errors.Is(err, unix.EEXIST) {
		// A leftover of an earlier run of this container on this
		// network (a crash, or a restart before the kernel took the
		// released veth) holds the host name, or the container has a
		// link of that name (a stale interface before a connect): then
		// its end comes in under a temporary name, to be renamed.
		if err := deleteLink(ep.HostVeth); err != nil {
			return nil, err
		}
		if _, err := h.LinkByName(pair.PeerName); err == nil {
			pair.PeerName = peerTempName(ep.HostVeth)
		}
		err = netlink.LinkAdd(pair)
	}
	if err != nil {
		return nil, fmt.Errorf("create veth %s: %w", ep.HostVeth, err)
	}
	if err := configureInside(h, pair.PeerName, att, opts); err != nil {
		return nil, err
	}
	return att, nil
}

// configureInside names (where plumb could not), addresses and raises the
// container's end and installs the default routes.
func configureInside(h *netlink.Handle, name string, att *Attachment, opts AttachOptions) error {
	link, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("container end of veth: %w", err)
	}
	if name != opts.Interface {
		if err := h.LinkSetName(link, opts.Interface); err != nil {
			return fmt.Errorf("rename container interface to %s: %w", opts.Interface, err)
		}
	}
	att.MAC = link.Attrs().HardwareAddr.String()
	for _, p := range att.Addrs {
		addr := &netlink.Addr{IPNet: ipNet(p)}
		if p.Addr().Is6() {
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(link, addr); err != nil {
			return fmt.Errorf("address %s on %s: %w", p, opts.Interface, err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("%s up: %w", opts.Interface, err)
	}
	if lo, err := h.LinkByName("lo"); err == nil && lo.Attrs().Flags&net.FlagUp == 0 {
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("lo up: %w", err)
		}
	}
	if !opts.DefaultRoute || att.Internal {
		return nil
	}
	for _, gw := range att.Gateways {
		route := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw.AsSlice()}
		if err := h.RouteReplace(route); err != nil {
			return fmt.Errorf("default route via %s: %w", gw, err)
		}
	}
	return nil
}

// Detach removes the container's veth on the network and releases its
// addresses. It is idempotent: a missing network, link or record is not an
// error.
func (m *Manager) Detach(containerID, network string) error {
	return m.detach(containerID, network, deleteLink)
}

// Release ends the attachment of a container whose processes are gone, as
// after its exit or a crash: the host end of its veth leaves the bridge
// and goes down, and its addresses are released. The kernel deletes the
// pair with the container's network namespace, in the background;
// deleting it here would make every container's stop wait for an RCU grace
// period (15-25 ms, serialized on the host's network lock). An unplugged
// veth whose namespace something keeps alive is removed by the next attach
// of the container or by sweep. Like Detach, it is idempotent.
func (m *Manager) Release(containerID, network string) error {
	return m.detach(containerID, network, unplugLink)
}

func (m *Manager) detach(containerID, network string, drop func(string) error) error {
	n, err := m.Inspect(network)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// The link goes (or leaves the bridge) before the address is free,
	// so that a container given the address never meets the old one.
	if err := drop(hostVethName(containerID, n.ID)); err != nil {
		return fmt.Errorf("network %q: %w", network, err)
	}
	_, err = m.st().update(network, func(n *Network) error {
		if _, ok := n.Endpoints[containerID]; !ok {
			return errUnchanged
		}
		delete(n.Endpoints, containerID)
		return nil
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// DetachAll detaches the container from every network that holds a record
// of it.
func (m *Manager) DetachAll(containerID string) error {
	return m.eachEndpoint(containerID, m.Detach)
}

// ReleaseAll releases the container's attachments on every network that
// holds a record of it, as cleanup after its exit or a crash does.
func (m *Manager) ReleaseAll(containerID string) error {
	return m.eachEndpoint(containerID, m.Release)
}

func (m *Manager) eachEndpoint(containerID string, fn func(containerID, network string) error) error {
	nets, err := m.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nets {
		if _, ok := n.Endpoints[containerID]; ok {
			errs = append(errs, fn(containerID, n.Name))
		}
	}
	return errors.Join(errs...)
}

// LoopbackUp raises lo in target, for containers without any network
// attachment that still get the resolver on 127.0.0.11.
func LoopbackUp(target netns.NsHandle) error {
	h, err := netlink.NewHandleAt(target)
	if err != nil {
		return fmt.Errorf("open container network namespace: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return err
	}
	return h.LinkSetUp(lo)
}

// interfaceMAC is the MAC address asked for or, without one, a locally
// administered address derived from the first IPv4 address, as Docker does.
// A container recreated with the same address then keeps its MAC, so the
// neighbour entries of the host and of other containers stay right; with a
// random MAC, traffic to the address goes to the old MAC until those entries
// expire, which stalls published ports for many seconds.
func interfaceMAC(asked string, addrs []netip.Prefix) (net.HardwareAddr, error) {
	if asked != "" {
		mac, err := net.ParseMAC(asked)
		if err != nil {
			return nil, fmt.Errorf("mac address %q: %w", asked, err)
		}
		return mac, nil
	}
	for _, p := range addrs {
		if p.Addr().Is4() {
			ip := p.Addr().As4()
			return net.HardwareAddr{0x02, 0x42, ip[0], ip[1], ip[2], ip[3]}, nil
		}
	}
	return nil, nil
}
