package dns

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"time"

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
	// ContainerID is the container served. When Networks is empty its
	// networks are the ones holding a record of it, looked up again
	// every second, so a network connected later joins in.
	ContainerID string
	// Networks, when set, are the container's networks.
	Networks []Network
	// Upstream decides where other names go; nil never forwards.
	Upstream *Upstream
}

// Resolver answers queries from a container: names of the containers on
// its networks locally, everything else through the upstream servers
// unless all its networks are internal.
type Resolver struct {
	cfg Config

	mu      sync.Mutex
	nets    []Network
	checked time.Time
	snaps   map[string]*snapshot
}

// NewResolver returns the resolver for cfg.
func NewResolver(cfg Config) *Resolver {
	return &Resolver{cfg: cfg, snaps: map[string]*snapshot{}}
}

// ownNetworksTTL is how long the list of the container's own networks is
// trusted before the registry is looked at again.
const ownNetworksTTL = time.Second

type netView struct {
	Network
	snap *snapshot
}

// networks returns the container's networks with their record caches.
func (r *Resolver) networks() []netView {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cfg.Networks) > 0 {
		r.nets = r.cfg.Networks
	} else if r.nets == nil || time.Since(r.checked) > ownNetworksTTL {
		r.nets = r.cfg.Registry.networksOf(r.cfg.ContainerID)
		r.checked = time.Now()
	}
	out := make([]netView, 0, len(r.nets))
	for _, n := range r.nets {
		snap, ok := r.snaps[n.Name]
		if !ok {
			snap = &snapshot{reg: r.cfg.Registry, net: n.Name}
			r.snaps[n.Name] = snap
		}
		out = append(out, netView{n, snap})
	}
	return out
}

// forwards reports whether names not ours go upstream: not when every
// network of the container is internal.
func (r *Resolver) forwards(nets []netView) bool {
	if r.cfg.Upstream == nil {
		return false
	}
	for _, n := range nets {
		if !n.Internal {
			return true
		}
	}
	return len(nets) == 0
}

// ServeDNS answers one query.
func (r *Resolver) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp, forward := r.Answer(req)
	if forward {
		resp = r.cfg.Upstream.Forward(req, isTCP(w))
	}
	reply(w, req, resp)
}

// Answer answers req from the records without waiting on the network;
// forward reports that the query must go upstream instead.
func (r *Resolver) Answer(req *dns.Msg) (resp *dns.Msg, forward bool) {
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		return new(dns.Msg).SetRcode(req, dns.RcodeNotImplemented), false
	}
	nets := r.networks()
	if resp := r.local(req, nets); resp != nil {
		return resp, false
	}
	if !r.forwards(nets) {
		return new(dns.Msg).SetRcode(req, dns.RcodeRefused), false
	}
	return nil, true
}

// local answers from the records, or returns nil when the name is not
// ours to answer.
func (r *Resolver) local(req *dns.Msg, nets []netView) *dns.Msg {
	q := req.Question[0]
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	if q.Qtype == dns.TypePTR {
		return reverse(req, name, nets)
	}
	addrs, found := lookup(name, nets)
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
func lookup(name string, nets []netView) ([]netip.Addr, bool) {
	var out []netip.Addr
	found := false
	for _, n := range nets {
		want := name
		if base, ok := strings.CutSuffix(name, "."+strings.ToLower(n.Name)); ok {
			want = base
		}
		for _, ep := range n.snap.endpoints() {
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

func reverse(req *dns.Msg, name string, nets []netView) *dns.Msg {
	addr, ok := parseReverse(name)
	if !ok {
		return nil
	}
	for _, n := range nets {
		for _, ep := range n.snap.endpoints() {
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
		truncateForUDP(req, resp)
	}
	_ = w.WriteMsg(resp)
}

func truncateForUDP(req, resp *dns.Msg) {
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > size {
		size = int(opt.UDPSize())
	}
	resp.Truncate(size)
}
