package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
)

// PortBinding publishes one container port on the host.
type PortBinding struct {
	HostIP        netip.Addr // zero: every address, both families
	HostPort      uint16     // 0: a random free port
	HostPortEnd   uint16     // above HostPort: the first free port from HostPort to it
	ContainerPort uint16
	Proto         string // "tcp" or "udp"
}

func (b PortBinding) String() string {
	host := "0.0.0.0"
	if b.HostIP.IsValid() {
		host = b.HostIP.String()
	}
	port := strconv.Itoa(int(b.HostPort))
	if b.HostPortEnd > b.HostPort {
		port += "-" + strconv.Itoa(int(b.HostPortEnd))
	}
	return fmt.Sprintf("%s/%s -> %s", net.JoinHostPort(host, port), b.Proto, strconv.Itoa(int(b.ContainerPort)))
}

// socket is one bound host port: a TCP listener or a UDP socket.
type socket struct {
	binding PortBinding
	ln      net.Listener
	pc      net.PacketConn
}

func (s *socket) Close() error {
	if s.ln != nil {
		return s.ln.Close()
	}
	return s.pc.Close()
}

// bind opens every host port, resolving random ones; on a conflict it
// closes what it opened and says who holds the port.
func bind(bindings []PortBinding) ([]*socket, error) {
	var out []*socket
	for _, b := range bindings {
		s, err := bindOne(b)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func bindOne(b PortBinding) (*socket, error) {
	host := ""
	if b.HostIP.IsValid() {
		host = b.HostIP.String()
	}
	if b.HostPortEnd <= b.HostPort {
		s, err := bindPort(b, host)
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &PortInUseError{Proto: b.Proto, HostIP: host, Port: b.HostPort, Holder: portHolder(b.Proto, b.HostPort), Err: err}
		}
		return s, err
	}
	// A range: the first port of it that is free, as Docker picks one.
	for port := int(b.HostPort); port <= int(b.HostPortEnd); port++ {
		one := b
		one.HostPort, one.HostPortEnd = uint16(port), 0
		s, err := bindPort(one, host)
		if !errors.Is(err, syscall.EADDRINUSE) {
			return s, err
		}
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return nil, fmt.Errorf("every host port of %s:%d-%d/%s is already in use", host, b.HostPort, b.HostPortEnd, b.Proto)
}

// bindPort binds one host port on host ("" for every address), or a random
// one for port 0. A port in use is an error that wraps EADDRINUSE.
func bindPort(b PortBinding, host string) (*socket, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(int(b.HostPort)))
	s := &socket{binding: b}
	var err error
	if b.Proto == "udp" {
		s.pc, err = net.ListenPacket("udp", addr)
	} else {
		s.ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", b, err)
	}
	if s.ln != nil {
		s.binding.HostPort = uint16(s.ln.Addr().(*net.TCPAddr).Port)
	} else {
		s.binding.HostPort = uint16(s.pc.LocalAddr().(*net.UDPAddr).Port)
	}
	return s, nil
}

// Reserve checks that every host port can be bound and picks the random
// ones, so that a conflict fails before a container is created. A range is
// checked to have a free port but stays a range: which port it gets is
// decided when it is published, so that replicas started together each
// get their own. The ports are released again; Publish binds them for good.
func Reserve(bindings []PortBinding) ([]PortBinding, error) {
	socks, err := bind(bindings)
	if err != nil {
		return nil, err
	}
	out := make([]PortBinding, len(socks))
	for i, s := range socks {
		out[i] = s.binding
		if bindings[i].HostPortEnd > bindings[i].HostPort {
			out[i] = bindings[i]
		}
		s.Close()
	}
	return out, nil
}
