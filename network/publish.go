package network

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
)

// Publication is the published ports of one container: the host sockets
// with their proxies, and the DNAT rules where nf_tables works.
type Publication struct {
	m           *Manager
	containerID string
	bindings    []PortBinding
	closers     []func()
	once        sync.Once
}

// Publish binds the host ports and forwards them to the container at
// addrs (its first IPv4 address, else its first IPv6 one). With nf_tables
// the traffic is DNAT'ed in the kernel and the sockets only hold the
// ports (and serve IPv6 clients of an IPv4-only container); without it
// the userland proxy carries everything.
func (m *Manager) Publish(containerID string, bindings []PortBinding, addrs []netip.Addr) (*Publication, error) {
	target, ok := pickTarget(addrs)
	if !ok && len(bindings) > 0 {
		return nil, errors.New("publish ports: the container has no address to forward to")
	}
	socks, err := bind(bindings)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	delete(m.unpublished, containerID)
	m.mu.Unlock()
	p := &Publication{m: m, containerID: containerID}
	for _, s := range socks {
		p.bindings = append(p.bindings, s.binding)
		dst := net.JoinHostPort(target.String(), strconv.Itoa(int(s.binding.ContainerPort)))
		if s.ln != nil {
			tp := &tcpProxy{ln: s.ln, target: dst, conns: map[net.Conn]bool{}}
			go tp.serve()
			p.closers = append(p.closers, tp.close)
		} else {
			ua, _ := net.ResolveUDPAddr("udp", dst)
			up := &udpProxy{pc: s.pc, target: ua, flows: map[string]*udpFlow{}}
			go up.serve()
			p.closers = append(p.closers, up.close)
		}
	}
	if err := m.addDNAT(containerID, p.bindings, addrs); err != nil {
		m.warn("published ports of %s use the userland proxy only: %v", shortID(containerID), err)
	}
	return p, nil
}

func pickTarget(addrs []netip.Addr) (netip.Addr, bool) {
	for _, a := range addrs {
		if a.Is4() {
			return a, true
		}
	}
	if len(addrs) > 0 {
		return addrs[0], true
	}
	return netip.Addr{}, false
}

// Bindings are the published ports with random host ports resolved.
func (p *Publication) Bindings() []PortBinding { return p.bindings }

// Close stops forwarding: DNAT rules first, then the proxies. Once it
// removed the rules, Unpublish of the container in this process (the
// detach that follows an exit) has nothing left to do, until the
// container publishes again.
func (p *Publication) Close() error {
	var err error
	p.once.Do(func() {
		if err = p.m.unpublish(p.containerID); err == nil {
			p.m.mu.Lock()
			if p.m.unpublished == nil {
				p.m.unpublished = map[string]bool{}
			}
			p.m.unpublished[p.containerID] = true
			p.m.mu.Unlock()
		}
		for _, c := range p.closers {
			c()
		}
	})
	return err
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
