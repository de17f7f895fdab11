package network

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink/nl"
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
//
// It runs while the container's init builds its root filesystem, on a
// machine that may have no spare core: what it costs in CPU, the start
// waits for. So the record is read once, under the lock that allocates
// the addresses, and the kernel sees three writes: the veth pair, made up
// and on the bridge in one message, then the container end's addresses,
// loopback and routes in one batch.
func (m *Manager) Attach(opts AttachOptions, target netns.NsHandle) (*Attachment, error) {
	host, err := openRtnl(netns.None())
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	defer host.close()
	n, err := m.allocate(opts)
	if err != nil {
		return nil, err
	}
	att, err := m.attach(host, n, opts, target)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("network %q: %w", n.Name, err), m.Detach(opts.ContainerID, opts.Network))
	}
	return att, nil
}

// allocate records the container's endpoint on the network, with its
// addresses, and returns the updated record.
func (m *Manager) allocate(opts AttachOptions) (*Network, error) {
	return m.st().update(opts.Network, func(n *Network) error {
		addrs, err := assign(n, opts.ContainerID, opts.Addrs)
		if err != nil {
			return err
		}
		host := hostVethName(opts.ContainerID, n.ID)
		n.Endpoints[opts.ContainerID] = Endpoint{ContainerID: opts.ContainerID, Addrs: addrs, HostVeth: host, Interface: opts.Interface, MAC: opts.MAC}
		return nil
	})
}

// attach plumbs the endpoint allocate recorded into target.
func (m *Manager) attach(host *rtnl, n *Network, opts AttachOptions, target netns.NsHandle) (*Attachment, error) {
	br, rules, err := m.bridgeReady(host, n)
	if err != nil {
		return nil, err
	}
	att, err := plumb(host, n, br, n.Endpoints[opts.ContainerID], opts, target)
	return att, errors.Join(err, <-rules)
}

// bridgeReady returns the index of n's bridge, making it and its rules
// again where they are missing (after a reboot, or a flush of the host's
// ruleset). A bridge that exists costs one ioctl; its rules are checked
// (one dump of a chain, about a millisecond, unless the ruleset is still
// the generation a check found them in: see rulesKnown) and, if need be,
// repaired while the caller plumbs the container: the channel yields the
// outcome.
// No packet of the container flows before the attach returns, so the
// order does not matter.
func (m *Manager) bridgeReady(host *rtnl, n *Network) (int, <-chan error, error) {
	rules := make(chan error, 1)
	br, err := host.index(n.Bridge)
	if errors.Is(err, unix.ENODEV) {
		if err := m.setUp(n, false); err != nil {
			return 0, nil, err
		}
		rules <- nil
		br, err = host.index(n.Bridge)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("bridge %s: %w", n.Bridge, err)
	}
	go func() {
		// The generation is read before the check, so that a change
		// made during it makes the note stale rather than wrong.
		gen, genErr := rulesGeneration()
		if genErr == nil && m.rulesKnown(gen, n) {
			rules <- nil
			return
		}
		if m.hasNetworkRules(n) {
			if genErr == nil {
				m.noteRules(gen, n)
			}
			rules <- nil
			return
		}
		rules <- m.addNetworkRules(n, false)
	}()
	return br, rules, nil
}

// plumb makes the veth pair, its host end up on the bridge br and its
// container end in target under its final name and MAC address, and
// configures that end.
func plumb(host *rtnl, n *Network, br int, ep Endpoint, opts AttachOptions, target netns.NsHandle) (*Attachment, error) {
	att := &Attachment{Network: n.Name, Interface: opts.Interface, HostVeth: ep.HostVeth, Internal: n.Internal}
	for i, s := range n.Subnets {
		att.Addrs = append(att.Addrs, netip.PrefixFrom(ep.Addrs[i], s.Prefix.Bits()))
		att.Gateways = append(att.Gateways, s.Gateway)
	}
	mac, err := interfaceMAC(opts.MAC, att.Addrs)
	if err != nil {
		return nil, err
	}
	inside, err := openRtnl(target)
	if err != nil {
		return nil, fmt.Errorf("open container network namespace: %w", err)
	}
	defer inside.close()
	name := opts.Interface
	err = host.exec(vethRequest(ep.HostVeth, n.MTU, br, linkGroup(n.ID), name, mac, target))
	if errors.Is(err, unix.EEXIST) {
		// A leftover of an earlier run of this container on this
		// network (a crash, or a restart before the kernel took the
		// released veth) holds the host name, or the container has a
		// link of that name (a stale interface before a connect): then
		// its end comes in under a temporary name, to be renamed.
		if err := deleteLink(ep.HostVeth); err != nil {
			return nil, err
		}
		if _, err := inside.index(name); err == nil {
			name = peerTempName(ep.HostVeth)
		}
		err = host.exec(vethRequest(ep.HostVeth, n.MTU, br, linkGroup(n.ID), name, mac, target))
	}
	if err != nil {
		return nil, fmt.Errorf("create veth %s: %w", ep.HostVeth, err)
	}
	if err := configureInside(inside, name, mac, att, opts); err != nil {
		return nil, err
	}
	return att, nil
}

// configureInside names (where plumb could not) and raises the
// container's end, gives it its addresses, raises loopback (the resolver
// binds there; the init may not have raised it yet) and installs the
// default routes, all in one batch.
func configureInside(inside *rtnl, name string, mac net.HardwareAddr, att *Attachment, opts AttachOptions) error {
	index, err := inside.index(name)
	if err != nil {
		return fmt.Errorf("container end of veth: %w", err)
	}
	if mac == nil {
		if mac, err = inside.hardwareAddr(name); err != nil {
			return fmt.Errorf("container end of veth: %w", err)
		}
	}
	att.MAC = mac.String()
	rename := ""
	if name != opts.Interface {
		rename = opts.Interface
	}
	reqs := []*nl.NetlinkRequest{setLinkRequest(index, "", true, rename)}
	for _, p := range att.Addrs {
		reqs = append(reqs, addrRequest(index, p))
	}
	reqs = append(reqs, setLinkRequest(loopbackIndex, "", true, ""))
	if opts.DefaultRoute && !att.Internal {
		for _, gw := range att.Gateways {
			reqs = append(reqs, defaultRouteRequest(index, gw))
		}
	}
	if err := inside.exec(reqs...); err != nil {
		return fmt.Errorf("configure %s: %w", opts.Interface, err)
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
	// The link goes (or leaves the bridge) before the address is free,
	// so that a container given the address never meets the old one:
	// under the lock, with the record read once.
	_, err := m.st().update(network, func(n *Network) error {
		if err := drop(hostVethName(containerID, n.ID)); err != nil {
			return fmt.Errorf("network %q: %w", network, err)
		}
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
	names, err := m.st().holding(containerID)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		errs = append(errs, fn(containerID, name))
	}
	return errors.Join(errs...)
}

// LoopbackUp raises lo in target, for containers without any network
// attachment that still get the resolver on 127.0.0.11.
func LoopbackUp(target netns.NsHandle) error {
	inside, err := openRtnl(target)
	if err != nil {
		return fmt.Errorf("open container network namespace: %w", err)
	}
	defer inside.close()
	return inside.exec(setLinkRequest(loopbackIndex, "", true, ""))
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
