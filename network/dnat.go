package network

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// addDNAT installs the kernel fast path for a container's published
// ports: packets for a host port, arriving (prerouting) or made on this
// host (output), go straight to the container. Loopback IPv6 and families
// the container lacks stay with the proxy.
func (m *Manager) addDNAT(containerID string, bindings []PortBinding, addrs []netip.Addr) error {
	if len(bindings) == 0 || m.ProxyOnly {
		return nil
	}
	c, ch, err := m.conn()
	if err != nil {
		return err
	}
	tag := portTag(containerID, m.hostVethOf(containerID, addrs))
	if err := m.delTagged(c, []*nftables.Chain{ch.prerouting, ch.output}, portTagOf(containerID)); err != nil {
		return err
	}
	for _, b := range bindings {
		for _, target := range addrs {
			match, ok := dnatMatch(b, target)
			if !ok {
				continue
			}
			e := concat(match, matchPort(b.Proto, b.HostPort), dnatTo(target, b.ContainerPort))
			for _, chain := range []*nftables.Chain{ch.prerouting, ch.output} {
				c.AddRule(&nftables.Rule{Table: chain.Table, Chain: chain, Exprs: e, UserData: tag})
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("dnat rules: %w", err)
	}
	return nil
}

// hostVethOf finds the host end of the veth through which containerID has
// one of addrs; "" when no record says.
func (m *Manager) hostVethOf(containerID string, addrs []netip.Addr) string {
	nets, err := m.List()
	if err != nil {
		return ""
	}
	for _, n := range nets {
		if ep, ok := n.Endpoints[containerID]; ok {
			for _, a := range ep.Addrs {
				if slices.Contains(addrs, a) {
					return ep.HostVeth
				}
			}
		}
	}
	return ""
}

// dnatMatch selects the packets of binding b that can go to target.
func dnatMatch(b PortBinding, target netip.Addr) ([]expr.Any, bool) {
	if b.HostIP.IsValid() && (b.HostIP.Is4() != target.Is4() || (b.HostIP.Is6() && b.HostIP.IsLoopback())) {
		return nil, false
	}
	if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
		return matchAddr(b.HostIP, true), true
	}
	local := concat(matchFamily(target), matchLocalDst())
	if target.Is6() {
		// IPv6 has no route_localnet: ::1 cannot be sent to a
		// container, so it stays with the proxy.
		local = concat(local, matchAddrNot(netip.IPv6Loopback(), true))
	}
	return local, true
}

// Unpublish removes a container's DNAT rules; crash cleanup calls it for
// a monitor that died without closing its Publication.
func (m *Manager) Unpublish(containerID string) error {
	m.mu.Lock()
	done := m.unpublished[containerID]
	m.mu.Unlock()
	if done {
		return nil
	}
	return m.unpublish(containerID)
}

// unpublish removes the DNAT rules of containerID.
func (m *Manager) unpublish(containerID string) error {
	c, err := nftables.New()
	if err != nil || !m.tableExists(c) {
		return nil
	}
	ch := m.chains(m.table())
	if err := m.delTagged(c, []*nftables.Chain{ch.prerouting, ch.output}, portTagOf(containerID)); err != nil {
		return fmt.Errorf("unpublish %s: %w", shortID(containerID), err)
	}
	return nil
}
