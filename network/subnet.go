package network

import (
	"fmt"
	"net/netip"
)

// DefaultPools are where automatic IPv4 subnets come from: /24s of
// 10.89.0.0/16 (the range podman uses) and then /24s of 10.90.0.0/16, so
// they stay clear of Docker's 172.17.0.0/16 and its 172.x defaults.
var DefaultPools = []Pool{
	{Base: netip.MustParsePrefix("10.89.0.0/16"), Size: 24},
	{Base: netip.MustParsePrefix("10.90.0.0/16"), Size: 24},
}

// DefaultPools6 are where automatic IPv6 subnets come from: /64s of a
// unique-local /48.
var DefaultPools6 = []Pool{
	{Base: netip.MustParsePrefix("fd5c:7a6b:9d3e::/48"), Size: 64},
}

// Pool is a range split into subnets of one size.
type Pool struct {
	Base netip.Prefix
	Size int
}

// chooseSubnet returns the first subnet of the pools that overlaps none of
// taken (host routes and other networks' subnets).
func chooseSubnet(pools []Pool, taken []netip.Prefix) (netip.Prefix, error) {
	for _, pool := range pools {
		if pool.Size < pool.Base.Bits() || pool.Size > pool.Base.Addr().BitLen() {
			return netip.Prefix{}, fmt.Errorf("pool %s: subnet size /%d does not fit", pool.Base, pool.Size)
		}
		for p, ok := netip.PrefixFrom(pool.Base.Masked().Addr(), pool.Size), true; ok; p, ok = nextPrefix(p) {
			if !pool.Base.Contains(p.Addr()) {
				break
			}
			if !overlapsAny(p, taken) {
				return p, nil
			}
		}
	}
	return netip.Prefix{}, ErrNoFreeSubnet
}

func nextPrefix(p netip.Prefix) (netip.Prefix, bool) {
	next := lastAddr(p).Next()
	if !next.IsValid() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(next, p.Bits()), true
}

func overlapsAny(p netip.Prefix, list []netip.Prefix) bool {
	for _, q := range list {
		// A default route covers everything and says nothing about
		// which addresses are used on-link.
		if q.Bits() == 0 {
			continue
		}
		if p.Overlaps(q) {
			return true
		}
	}
	return false
}

// defaultGateway is the first usable address of a subnet.
func defaultGateway(p netip.Prefix) netip.Addr {
	return p.Masked().Addr().Next()
}
