package spec

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// decodePort decodes one ports entry. The short syntax
// [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL] may name ranges and then
// stands for several ports.
func (d *decoder) decodePort(n *node, path string) []ServicePort {
	switch n.kind {
	case mapNode:
		p := ServicePort{}
		d.decodeStruct(n, path, reflect.ValueOf(&p).Elem())
		if n.get("target") == nil {
			d.errs.at(n, path, "missing \"target\": expected the container port")
		} else if p.Target == 0 || p.Target > 65535 {
			d.errs.at(n.get("target"), path+".target", "port %d is out of range 1-65535", p.Target)
		}
		if p.Published != "" {
			if _, _, err := parsePortRange(p.Published); err != nil {
				d.errs.at(n.get("published"), path+".published", "invalid published port %q: %v", p.Published, err)
			}
		}
		defaultPort(&p)
		return []ServicePort{p}
	case scalarNode:
		ports, err := ParsePortSpec(n.value)
		if err != nil {
			d.errs.at(n, path, "invalid port %q: %v", n.value, err)
			return nil
		}
		return ports
	}
	d.typeError(n, path, "a port (\"8080:80\") or a mapping with target")
	return nil
}

func defaultPort(p *ServicePort) {
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
	if p.Mode == "" {
		p.Mode = "ingress"
	}
}

// ParsePortSpec parses the short port syntax, as in a ports list or a -p
// flag. A host range with one container port stays one port whose
// published range is where its host port is picked from.
func ParsePortSpec(spec string) ([]ServicePort, error) {
	rest, proto, hasProto := strings.Cut(spec, "/")
	if hasProto {
		switch proto {
		case "tcp", "udp", "sctp":
		default:
			return nil, fmt.Errorf("unknown protocol %q: expected tcp, udp or sctp", proto)
		}
	}
	ip, host, container, err := splitPortSpec(rest)
	if err != nil {
		return nil, err
	}
	cLo, cHi, err := parsePortRange(container)
	if err != nil {
		return nil, err
	}
	var hLo, hHi int
	if host != "" {
		if hLo, hHi, err = parsePortRange(host); err != nil {
			return nil, err
		}
		if cHi > cLo && hHi-hLo != cHi-cLo {
			return nil, fmt.Errorf("host range %s and container range %s have different sizes", host, container)
		}
	}
	var out []ServicePort
	for c := cLo; c <= cHi; c++ {
		p := ServicePort{HostIP: ip, Target: uint32(c), Protocol: proto}
		switch {
		case host == "":
		case cHi > cLo:
			p.Published = strconv.Itoa(hLo + c - cLo)
		default:
			p.Published = host
		}
		defaultPort(&p)
		out = append(out, p)
	}
	return out, nil
}

// splitPortSpec splits IP, host port and container port; an IPv6 address
// is written in brackets.
func splitPortSpec(s string) (ip, host, container string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", "", fmt.Errorf("expected [IPv6]:HOST:CONTAINER")
		}
		ip = s[1:end]
		host, container, _ = strings.Cut(s[end+2:], ":")
		if container == "" {
			return "", "", "", fmt.Errorf("expected [IPv6]:HOST:CONTAINER")
		}
		return ip, host, container, nil
	}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		return "", "", parts[0], nil
	case 2:
		if parts[0] == "" {
			return "", "", "", fmt.Errorf("empty host port; expected HOST:CONTAINER")
		}
		return "", parts[0], parts[1], nil
	case 3:
		return parts[0], parts[1], parts[2], nil
	}
	n := len(parts)
	return strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1], nil
}

// parsePortRange parses "80" or "8000-8010".
func parsePortRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = parsePort(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = parsePort(b); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("range %s ends before it starts", s)
		}
	}
	return lo, hi, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %d is out of range 1-65535", p)
	}
	return p, nil
}
