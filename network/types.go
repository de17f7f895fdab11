package network

import (
	"net/netip"
	"time"
)

// Network is the persistent record of one bridge network, IPAM included.
type Network struct {
	Name     string            `json:"name"`
	ID       string            `json:"id"`
	Bridge   string            `json:"bridge"`
	Subnets  []Subnet          `json:"subnets"`
	Internal bool              `json:"internal,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	MTU      int               `json:"mtu"`
	Created  time.Time         `json:"created"`
	// Endpoints are the IPAM records, keyed by container ID.
	Endpoints map[string]Endpoint `json:"endpoints,omitempty"`
}

// Subnet is one address family's range of a network.
type Subnet struct {
	Prefix  netip.Prefix `json:"subnet"`
	Gateway netip.Addr   `json:"gateway"`
	// IPRange narrows dynamic allocation; static addresses may lie anywhere
	// in Prefix.
	IPRange netip.Prefix `json:"ipRange,omitzero"`
}

// Endpoint is one container's attachment to a network.
type Endpoint struct {
	ContainerID string       `json:"containerId"`
	Addrs       []netip.Addr `json:"addrs"`
	HostVeth    string       `json:"hostVeth,omitempty"`
	Interface   string       `json:"interface,omitempty"`
	MAC         string       `json:"mac,omitempty"`
}

// IPv4 reports the network's IPv4 subnet, if any.
func (n *Network) IPv4() (Subnet, bool) { return n.family(true) }

// IPv6 reports the network's IPv6 subnet, if any.
func (n *Network) IPv6() (Subnet, bool) { return n.family(false) }

func (n *Network) family(v4 bool) (Subnet, bool) {
	for _, s := range n.Subnets {
		if s.Prefix.Addr().Is4() == v4 {
			return s, true
		}
	}
	return Subnet{}, false
}

// Gateways lists the gateway address of every subnet.
func (n *Network) Gateways() []netip.Addr {
	out := make([]netip.Addr, 0, len(n.Subnets))
	for _, s := range n.Subnets {
		out = append(out, s.Gateway)
	}
	return out
}
