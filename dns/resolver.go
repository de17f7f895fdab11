package dns

import (
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// TTL is the lifetime of local answers, short so that a restarted
// container's new address is picked up quickly by caching clients.
const TTL = 5

// Network is one network of the container the resolver serves.
type Network struct {
	Name     string
	Internal bool
}

// Config describes the resolver of one container.
type Config struct {
	Registry *Registry
	// Networks are the container's networks; only names on these
	// resolve.
	Networks []Network
	// Upstream decides where other names go; nil never forwards.
	Upstream *Upstream
}

// Resolver answers queries from a container: names of the containers on
// its networks locally, everything else through the upstream servers.
type Resolver struct {
	nets     []Network
	snaps    []*snapshot
	upstream *Upstream
}

// NewResolver returns the resolver for cfg. A container whose networks
// are all internal gets no forwarding.
func NewResolver(cfg Config) *Resolver {
	r := &Resolver{nets: cfg.Networks}
	external := false
	for _, n := range cfg.Networks {
		r.snaps = append(r.snaps, &snapshot{reg: cfg.Registry, net: n.Name})
		external = external || !n.Internal
	}
	if external || len(cfg.Networks) == 0 {
		r.upstream = cfg.Upstream
	}
	return r
}

// ServeDNS answers one query.
func (r *Resolver) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		reply(w, req, new(dns.Msg).SetRcode(req, dns.RcodeNotImplemented))
		return
	}
	if resp := r.local(req); resp != nil {
		reply(w, req, resp)
		return
	}
	if r.upstream == nil {
		reply(w, req, new(dns.Msg).SetRcode(req, dns.RcodeRefused))
		return
	}
	reply(w, req, r.upstream.Forward(req, isTCP(w)))
}

// local answers from the records, or returns nil when the name is not
// ours to answer.
func (r *Resolver) local(req *dns.Msg) *dns.Msg {
	q := req.Question[0]
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	if q.Qtype == dns.TypePTR {
		return r.reverse(req, name)
	}
	addrs, found := r.lookup(name)
	if !found {
		if !strings.Contains(name, ".") {
			return new(dns.Msg).SetRcode(req, dns.RcodeNameError)
		}
		return nil
	}
	resp := new(dns.Msg).SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = true
	rand.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: TTL}
	for _, a := range addrs {
		switch {
		case a.Is4() && (q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY):
			h := hdr
			h.Rrtype = dns.TypeA
			resp.Answer = append(resp.Answer, &dns.A{Hdr: h, A: a.AsSlice()})
		case a.Is6() && (q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY):
			h := hdr
			h.Rrtype = dns.TypeAAAA
			resp.Answer = append(resp.Answer, &dns.AAAA{Hdr: h, AAAA: a.AsSlice()})
		}
	}
	return resp
}

// lookup finds the addresses of a name on the container's networks, also
// in the "name.network" form that restricts it to one network.
func (r *Resolver) lookup(name string) ([]netip.Addr, bool) {
	var out []netip.Addr
	found := false
	for i, n := range r.nets {
		want := name
		if base, ok := strings.CutSuffix(name, "."+strings.ToLower(n.Name)); ok {
			want = base
		}
		for _, ep := range r.snaps[i].endpoints() {
			if !hasName(ep.Names, want) {
				continue
			}
			found = true
			for _, a := range ep.Addrs {
				if !containsAddr(out, a) {
					out = append(out, a)
				}
			}
		}
	}
	return out, found
}

func (r *Resolver) reverse(req *dns.Msg, name string) *dns.Msg {
	addr, ok := parseReverse(name)
	if !ok {
		return nil
	}
	for i, n := range r.nets {
		for _, ep := range r.snaps[i].endpoints() {
			if !containsAddr(ep.Addrs, addr) || len(ep.Names) == 0 {
				continue
			}
			resp := new(dns.Msg).SetReply(req)
			resp.Authoritative = true
			resp.RecursionAvailable = true
			resp.Answer = append(resp.Answer, &dns.PTR{
				Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: TTL},
				Ptr: dns.Fqdn(ep.Names[0] + "." + n.Name),
			})
			return resp
		}
	}
	return nil
}

// parseReverse turns an in-addr.arpa or ip6.arpa name into its address.
func parseReverse(name string) (netip.Addr, bool) {
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa"); ok {
		labels := strings.Split(rest, ".")
		if len(labels) != 4 {
			return netip.Addr{}, false
		}
		a, err := netip.ParseAddr(labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0])
		return a, err == nil
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa"); ok {
		nibbles := strings.Split(rest, ".")
		if len(nibbles) != 32 {
			return netip.Addr{}, false
		}
		var b strings.Builder
		for i := 31; i >= 0; i-- {
			b.WriteString(nibbles[i])
			if i%4 == 0 && i > 0 {
				b.WriteByte(':')
			}
		}
		a, err := netip.ParseAddr(b.String())
		return a, err == nil
	}
	return netip.Addr{}, false
}

func hasName(names []string, name string) bool {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func isTCP(w dns.ResponseWriter) bool {
	_, ok := w.RemoteAddr().(interface{ Network() string })
	return ok && w.RemoteAddr().Network() == "tcp"
}

// reply sends resp, truncated to what a UDP client can take; the TC bit
// then makes it retry over TCP.
func reply(w dns.ResponseWriter, req, resp *dns.Msg) {
	if !isTCP(w) {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > size {
			size = int(opt.UDPSize())
		}
		resp.Truncate(size)
	}
	_ = w.WriteMsg(resp)
}
