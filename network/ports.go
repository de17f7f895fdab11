package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// PortBinding publishes one container port on the host.
type PortBinding struct {
	HostIP        netip.Addr // zero: every address, both families
	HostPort      uint16     // 0: a random free port
	ContainerPort uint16
	Proto         string // "tcp" or "udp"
}

func (b PortBinding) String() string {
	host := "0.0.0.0"
	if b.HostIP.IsValid() {
		host = b.HostIP.String()
	}
	return fmt.Sprintf("%s/%s -> %s", net.JoinHostPort(host, strconv.Itoa(int(b.HostPort))), b.Proto, strconv.Itoa(int(b.ContainerPort)))
}

// ParsePort parses one -p / ports: short form,
// [ip:][hostPort[-end]:]containerPort[-end][/tcp|udp], IPv6 addresses in
// brackets, into one binding per port.
func ParsePort(spec string) ([]PortBinding, error) {
	bad := func(why string) error { return fmt.Errorf("port %q: %s", spec, why) }
	rest, proto, _ := strings.Cut(spec, "/")
	proto = strings.ToLower(proto)
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return nil, bad("protocol must be tcp or udp")
	}
	var ip netip.Addr
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return nil, bad("expected [ipv6]:hostPort:containerPort")
		}
		a, err := netip.ParseAddr(rest[1:end])
		if err != nil {
			return nil, bad("invalid IPv6 address")
		}
		ip, rest = a, rest[end+2:]
	}
	parts := strings.Split(rest, ":")
	var hostPart, ctrPart string
	switch {
	case len(parts) == 1:
		ctrPart = parts[0]
	case len(parts) == 2:
		hostPart, ctrPart = parts[0], parts[1]
	case len(parts) == 3 && !ip.IsValid():
		a, err := netip.ParseAddr(parts[0])
		if err != nil {
			return nil, bad("invalid host IP " + parts[0])
		}
		ip, hostPart, ctrPart = a, parts[1], parts[2]
	default:
		return nil, bad("expected [ip:][hostPort:]containerPort[/proto]")
	}
	cLo, cHi, err := portRange(ctrPart)
	if err != nil {
		return nil, bad(err.Error())
	}
	hLo, hHi := uint16(0), uint16(0)
	if hostPart != "" {
		if hLo, hHi, err = portRange(hostPart); err != nil {
			return nil, bad(err.Error())
		}
		if hHi-hLo != cHi-cLo {
			return nil, bad("host and container port ranges differ in length")
		}
	}
	var out []PortBinding
	for i := 0; i <= int(cHi-cLo); i++ {
		b := PortBinding{HostIP: ip.Unmap(), ContainerPort: cLo + uint16(i), Proto: proto}
		if hLo != 0 {
			b.HostPort = hLo + uint16(i)
		}
		out = append(out, b)
	}
	return out, nil
}

func portRange(s string) (uint16, uint16, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.ParseUint(lo, 10, 16)
	if err != nil || a == 0 {
		return 0, 0, fmt.Errorf("invalid port %q: expected 1-65535", lo)
	}
	if !isRange {
		return uint16(a), uint16(a), nil
	}
	b, err := strconv.ParseUint(hi, 10, 16)
	if err != nil || b < a {
		return 0, 0, fmt.Errorf("invalid port range %q", s)
	}
	return uint16(a), uint16(b), nil
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
	addr := net.JoinHostPort(host, strconv.Itoa(int(b.HostPort)))
	s := &socket{binding: b}
	var err error
	if b.Proto == "udp" {
		s.pc, err = net.ListenPacket("udp", addr)
	} else {
		s.ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &PortInUseError{Proto: b.Proto, HostIP: host, Port: b.HostPort, Holder: portHolder(b.Proto, b.HostPort), Err: err}
		}
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
// ones, so that a conflict fails before a container is created. The ports
// are released again; Publish binds them for good.
func Reserve(bindings []PortBinding) ([]PortBinding, error) {
	socks, err := bind(bindings)
	if err != nil {
		return nil, err
	}
	out := make([]PortBinding, len(socks))
	for i, s := range socks {
		out[i] = s.binding
		s.Close()
	}
	return out, nil
}
