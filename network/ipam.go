package network

import (
	"fmt"
	"net/netip"
)

// allocate picks the lowest free address of s for dynamic allocation: inside
// IPRange when set, never the subnet's (or range's) own address, its IPv4
// broadcast or the gateway, and never an address in used.
func allocate(s Subnet, used map[netip.Addr]bool) (netip.Addr, error) {
	r := s.Prefix
	if s.IPRange.IsValid() {
		r = s.IPRange
	}
	// The first address of a narrower range is skipped too: an address
	// ending in .0 confuses some clients.
	for a := r.Masked().Addr(); r.Contains(a); a = a.Next() {
		if usable(s, a) && !used[a] && a != r.Masked().Addr() {
			return a, nil
		}
		if !a.Next().IsValid() {
			break
		}
	}
	return netip.Addr{}, fmt.Errorf("subnet %s: %w", s.Prefix, ErrExhausted)
}

// reserve checks that a static address can be given out.
func reserve(s Subnet, a netip.Addr, used map[netip.Addr]bool) error {
	switch {
	case !s.Prefix.Contains(a):
		return fmt.Errorf("address %s is outside subnet %s", a, s.Prefix)
	case !usable(s, a):
		return fmt.Errorf("address %s is the subnet's network, broadcast or gateway address", a)
	case used[a]:
		return fmt.Errorf("address %s: %w", a, ErrAddrInUse)
	}
	return nil
}

func usable(s Subnet, a netip.Addr) bool {
	p := s.Prefix.Masked()
	if a == p.Addr() || a == s.Gateway {
		return false
	}
	if a.Is4() && p.Bits() < 31 && a == lastAddr(p) {
		return false
	}
	return true
}

// lastAddr reports the highest address of p (the IPv4 broadcast address).
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// usedAddrs collects the addresses n has given out, minus the endpoint of
// skipID whose allocation is being redone.
func usedAddrs(n *Network, skipID string) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	for id, ep := range n.Endpoints {
		if id == skipID {
			continue
		}
		for _, a := range ep.Addrs {
			used[a] = true
		}
	}
	return used
}

// assign gives containerID one address per subnet of n, honoring the static
// addresses in want (at most one per family). It is idempotent: a container
// that already holds addresses keeps them.
func assign(n *Network, containerID string, want []netip.Addr) ([]netip.Addr, error) {
	if ep, ok := n.Endpoints[containerID]; ok && len(ep.Addrs) == len(n.Subnets) {
		return ep.Addrs, nil
	}
	used := usedAddrs(n, containerID)
	var out []netip.Addr
	for _, s := range n.Subnets {
		a, err := pick(s, want, used)
		if err != nil {
			return nil, fmt.Errorf("network %q: %w", n.Name, err)
		}
		used[a] = true
		out = append(out, a)
	}
	for _, w := range want {
		if !containsAddr(out, w) {
			return nil, fmt.Errorf("network %q: address %s matches no subnet of the network", n.Name, w)
		}
	}
	return out, nil
}

func pick(s Subnet, want []netip.Addr, used map[netip.Addr]bool) (netip.Addr, error) {
	for _, w := range want {
		if w.Is4() == s.Prefix.Addr().Is4() {
			return w, reserve(s, w, used)
		}
	}
	return allocate(s, used)
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}
