package main

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"stack/planner"
	"stack/runtime/container"
	"stack/spec"
)

// labelUseAliases marks a one-off container that answers to its service's
// DNS names (run --use-aliases).
const labelUseAliases = "io.stack.use-aliases"

// serviceNetwork is a replica's networking: its network mode, one
// attachment per network with the DNS names of the replica on it (the
// service's own names only with aliases), the published ports and the
// resolver settings.
func serviceNetwork(project *spec.Project, s *spec.Service, name string, aliases bool) (container.NetworkConfig, error) {
	n := container.NetworkConfig{
		Mode: "bridge", DNS: s.DNS, DNSSearch: s.DNSSearch, DNSOptions: s.DNSOpt,
		Hostname: s.Hostname, Domainname: s.Domainname,
	}
	switch mode := s.NetworkMode; {
	case mode == "" || mode == "bridge":
	case mode == "host" || mode == "none":
		n.Mode = mode
	case strings.HasPrefix(mode, "container:"):
		n.Mode = mode
	case strings.HasPrefix(mode, "service:"):
		// The executor resolves the service to its first container.
		n.Mode = mode
	default:
		return n, fmt.Errorf("service %q: network_mode %q: expected bridge, host, none, service:NAME or container:NAME", s.Name, mode)
	}
	var err error
	if n.ExtraHosts, err = extraHosts(s); err != nil {
		return n, err
	}
	if n.Ports, err = publishedPorts(s); err != nil {
		return n, err
	}
	if n.Mode != "bridge" {
		return n, nil
	}
	n.Attachments, err = attachments(project, s, name, aliases)
	return n, err
}

// attachments are the networks a replica joins, each with the names it
// answers to there.
func attachments(project *spec.Project, s *spec.Service, name string, aliases bool) ([]container.Attachment, error) {
	keys := sortedNames(s.Networks)
	if len(keys) == 0 {
		keys = []string{"default"}
	}
	var out []container.Attachment
	for _, key := range keys {
		a := container.Attachment{Network: planner.NetworkName(project, key), Aliases: []string{name}, MAC: s.MacAddress}
		if aliases {
			a.Aliases = append(a.Aliases, s.Name)
		}
		if s.Hostname != "" {
			a.Aliases = append(a.Aliases, s.Hostname)
		}
		if sn := s.Networks[key]; sn != nil {
			if aliases {
				a.Aliases = append(a.Aliases, sn.Aliases...)
			}
			if sn.MacAddress != "" {
				a.MAC = sn.MacAddress
			}
			var err error
			if a.IPv4, err = optionalAddr(sn.IPv4Address); err != nil {
				return nil, fmt.Errorf("service %q: networks.%s.ipv4_address: %w", s.Name, key, err)
			}
			if a.IPv6, err = optionalAddr(sn.IPv6Address); err != nil {
				return nil, fmt.Errorf("service %q: networks.%s.ipv6_address: %w", s.Name, key, err)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func optionalAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	return netip.ParseAddr(s)
}

// extraHosts reads "host:ip" and "host=ip" entries; an IPv6 address may
// follow the first colon.
func extraHosts(s *spec.Service) ([]container.HostEntry, error) {
	var out []container.HostEntry
	for _, e := range s.ExtraHosts {
		host, ip, ok := strings.Cut(e, "=")
		if !ok {
			host, ip, ok = strings.Cut(e, ":")
		}
		ip = strings.Trim(ip, "[]")
		if _, err := netip.ParseAddr(ip); !ok || err != nil {
			if ip != "host-gateway" {
				return nil, fmt.Errorf("service %q: extra_hosts %q: expected host:ip or host=ip", s.Name, e)
			}
		}
		out = append(out, container.HostEntry{Host: host, IP: ip})
	}
	return out, nil
}

// publishedPorts are the service's published ports as the runtime takes
// them.
func publishedPorts(s *spec.Service) ([]container.PortBinding, error) {
	out, err := portBindings(s.Ports)
	if err != nil {
		return nil, fmt.Errorf("service %q: ports: %w", s.Name, err)
	}
	return out, nil
}

// portBindings converts ports of the Compose form, one binding each. A
// published range stays a range: the container gets the first port of it
// that is free when it starts, as Compose's replicas each get one.
func portBindings(ports []spec.ServicePort) ([]container.PortBinding, error) {
	var out []container.PortBinding
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if p.Mode == "ingress" && p.Published == "" && p.Target == 0 {
			continue
		}
		first, last, err := portRange(p.Published)
		if err != nil {
			return nil, fmt.Errorf("published %q: %w", p.Published, err)
		}
		if p.Target == 0 || p.Target > 65535 {
			return nil, fmt.Errorf("target %d: expected a port from 1 to 65535", p.Target)
		}
		b := container.PortBinding{HostIP: p.HostIP, HostPort: first, ContainerPort: uint16(p.Target), Protocol: proto}
		if last > first {
			b.HostPortEnd = last
		}
		out = append(out, b)
	}
	return out, nil
}

// exposedPorts are the ports a container exposes, sorted: its image's
// (EXPOSE) and the extra ones of the service's expose or of --expose (named
// by key in errors), ranges expanded, as Docker records them.
func exposedPorts(image map[string]struct{}, extra []string, key string) ([]container.Port, error) {
	set := map[container.Port]bool{}
	add := func(spec string) error {
		numbers, proto, _ := strings.Cut(spec, "/")
		proto = strings.ToLower(proto)
		if proto == "" {
			proto = "tcp"
		}
		first, last, err := portRange(numbers)
		if err != nil || first == 0 || (proto != "tcp" && proto != "udp" && proto != "sctp") {
			return fmt.Errorf("%q: expected a port or a range like 8000-8010, optionally with /tcp, /udp or /sctp", spec)
		}
		for n := int(first); n <= int(last); n++ {
			set[container.Port{Number: uint16(n), Protocol: proto}] = true
		}
		return nil
	}
	for spec := range image {
		if err := add(spec); err != nil {
			return nil, fmt.Errorf("the image's EXPOSE %w", err)
		}
	}
	for _, spec := range extra {
		if err := add(spec); err != nil {
			return nil, fmt.Errorf("%s %w", key, err)
		}
	}
	out := make([]container.Port, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Number != out[j].Number {
			return out[i].Number < out[j].Number
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out, nil
}

func portRange(s string) (uint16, uint16, error) {
	if s == "" {
		return 0, 0, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	first, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("expected a port or a range like 8000-8010")
	}
	last := first
	if isRange {
		if last, err = strconv.ParseUint(hi, 10, 16); err != nil || last < first {
			return 0, 0, fmt.Errorf("expected a port or a range like 8000-8010")
		}
	}
	return uint16(first), uint16(last), nil
}
