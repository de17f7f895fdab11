package dns

import (
	"fmt"
	"net/netip"
	"strings"
)

// ResolvConfOptions shape a container's /etc/resolv.conf.
type ResolvConfOptions struct {
	// Nameservers replace the embedded resolver (network mode host or
	// none, where there is no 127.0.0.11); empty means the resolver.
	Nameservers []string
	Search      []string // dns_search; empty keeps the host's
	Options     []string // dns_opt; an ndots:N here replaces ndots:0
	HostSearch  []string // the host's search domains
}

// ResolvConf renders a container's /etc/resolv.conf: the embedded
// resolver, search domains, and ndots:0 so that single-label names (the
// service names) are asked as they are, first.
func ResolvConf(o ResolvConfOptions) []byte {
	var b strings.Builder
	servers := o.Nameservers
	if len(servers) == 0 {
		servers = []string{strings.TrimSuffix(Address, ":53")}
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	search := o.Search
	if len(search) == 0 {
		search = o.HostSearch
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	opts := []string{}
	ndots := false
	for _, opt := range o.Options {
		ndots = ndots || strings.HasPrefix(opt, "ndots:")
	}
	if !ndots && len(o.Nameservers) == 0 {
		opts = append(opts, "ndots:0")
	}
	opts = append(opts, o.Options...)
	if len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return []byte(b.String())
}

// HostEntry is one extra_hosts line.
type HostEntry struct {
	Host string
	IP   string
}

// HostsOptions shape a container's /etc/hosts.
type HostsOptions struct {
	Hostname   string
	Domainname string
	Addrs      []netip.Addr // the container's own addresses
	Extra      []HostEntry
}

// Hosts renders a container's /etc/hosts: loopback names, the container's
// own name on each of its addresses, then extra_hosts.
func Hosts(o HostsOptions) []byte {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	names := o.Hostname
	if o.Domainname != "" && o.Hostname != "" {
		names = o.Hostname + "." + o.Domainname + " " + o.Hostname
	}
	if names != "" {
		for _, a := range o.Addrs {
			fmt.Fprintf(&b, "%s\t%s\n", a, names)
		}
	}
	for _, e := range o.Extra {
		fmt.Fprintf(&b, "%s\t%s\n", e.IP, e.Host)
	}
	return []byte(b.String())
}

// Hostname renders /etc/hostname.
func Hostname(name string) []byte { return []byte(name + "\n") }
