package dns

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// testRegistry holds a small project: two web replicas and a cache on
// "front", a db on "back" only.
func testRegistry(t *testing.T) *Registry {
	t.Helper()
	reg := &Registry{Dir: t.TempDir()}
	put := func(network string, ep Endpoint) {
		if err := reg.Put(network, ep); err != nil {
			t.Fatal(err)
		}
	}
	put("front", Endpoint{ContainerID: "w1", Names: []string{"demo-web-1", "web", "w1host", "www"}, Addrs: addrs("10.5.0.2")})
	put("front", Endpoint{ContainerID: "w2", Names: []string{"demo-web-2", "web"}, Addrs: addrs("10.5.0.3", "fd00:5::3")})
	put("front", Endpoint{ContainerID: "c1", Names: []string{"demo-cache-1", "cache"}, Addrs: addrs("10.5.0.4")})
	put("back", Endpoint{ContainerID: "d1", Names: []string{"demo-db-1", "db"}, Addrs: addrs("10.6.0.2")})
	return reg
}

func TestResolver(t *testing.T) {
	up := startUpstream(t)
	reg := testRegistry(t)
	r := NewResolver(Config{Registry: reg, Networks: []Network{{Name: "front"}}, Upstream: &Upstream{Servers: []string{up.addr}}})
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"web.", dns.TypeA, dns.RcodeSuccess, []string{"10.5.0.2", "10.5.0.3"}},
		{"WEB.", dns.TypeA, dns.RcodeSuccess, []string{"10.5.0.2", "10.5.0.3"}},
		{"demo-web-1.", dns.TypeA, dns.RcodeSuccess, []string{"10.5.0.2"}},
		{"w1host.", dns.TypeA, dns.RcodeSuccess, []string{"10.5.0.2"}},
		{"www.", dns.TypeA, dns.RcodeSuccess, []string{"10.5.0.2"}},
		{"cache.front.", dns.TypeA, dns.RcodeSuccess, []string{"10.5.0.4"}},
		{"web.", dns.TypeAAAA, dns.RcodeSuccess, []string{"fd00:5::3"}},
		{"cache.", dns.TypeAAAA, dns.RcodeSuccess, nil}, // exists, no IPv6: NODATA
		{"cache.", dns.TypeMX, dns.RcodeSuccess, nil},
		{"db.", dns.TypeA, dns.RcodeNameError, nil}, // not on a shared network
		{"nosuch.", dns.TypeA, dns.RcodeNameError, nil},
		{"2.0.5.10.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, []string{"demo-web-1.front."}},
		{"example.com.", dns.TypeA, dns.RcodeSuccess, []string{"192.0.2.10"}},
		{"nosuch.example.com.", dns.TypeA, dns.RcodeNameError, nil},
		{"broken.example.com.", dns.TypeA, dns.RcodeServerFailure, nil},
	}
	for _, tt := range tests {
		w := udpRecorder()
		r.ServeDNS(w, new(dns.Msg).SetQuestion(tt.name, tt.qtype))
		if w.msg == nil {
			t.Fatalf("%s: no reply", tt.name)
		}
		got := answers(w.msg)
		slices.Sort(got)
		if w.msg.Rcode != tt.rcode || !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: got %s %v, want %s %v", tt.name, dns.TypeToString[tt.qtype],
				dns.RcodeToString[w.msg.Rcode], got, dns.RcodeToString[tt.rcode], tt.want)
		}
		for _, rr := range w.msg.Answer {
			if rr.Header().Ttl > 5 && tt.name != "example.com." {
				t.Errorf("%s: ttl %d, want at most 5", tt.name, rr.Header().Ttl)
			}
		}
	}
}

func TestResolverShufflesReplicas(t *testing.T) {
	reg := &Registry{Dir: t.TempDir()}
	for i, ip := range []string{"10.7.0.2", "10.7.0.3", "10.7.0.4"} {
		reg.Put("n", Endpoint{ContainerID: "r" + strconv.Itoa(i), Names: []string{"svc"}, Addrs: addrs(ip)})
	}
	r := NewResolver(Config{Registry: reg, Networks: []Network{{Name: "n"}}})
	firsts := map[string]bool{}
	for i := 0; i < 200; i++ {
		w := udpRecorder()
		r.ServeDNS(w, new(dns.Msg).SetQuestion("svc.", dns.TypeA))
		got := answers(w.msg)
		if len(got) != 3 {
			t.Fatalf("got %v, want 3 replicas", got)
		}
		firsts[got[0]] = true
	}
	if len(firsts) != 3 {
		t.Errorf("first answers over 200 queries: %v, want all three replicas to come first", firsts)
	}
}

func TestResolverRecordsFollowChanges(t *testing.T) {
	reg := testRegistry(t)
	r := NewResolver(Config{Registry: reg, Networks: []Network{{Name: "front"}}})
	ask := func(name string) *dns.Msg {
		w := udpRecorder()
		r.ServeDNS(w, new(dns.Msg).SetQuestion(name, dns.TypeA))
		return w.msg
	}
	if got := answers(ask("cache.")); len(got) != 1 {
		t.Fatalf("cache before stop: %v", got)
	}
	if err := reg.Remove("front", "c1"); err != nil {
		t.Fatal(err)
	}
	if m := ask("cache."); m.Rcode != dns.RcodeNameError {
		t.Errorf("cache right after removal: got %s %v, want NXDOMAIN", dns.RcodeToString[m.Rcode], answers(m))
	}
	reg.Put("front", Endpoint{ContainerID: "n1", Names: []string{"newcomer"}, Addrs: addrs("10.5.0.9")})
	if got := answers(ask("newcomer.")); len(got) != 1 || got[0] != "10.5.0.9" {
		t.Errorf("newcomer right after start: got %v", got)
	}
}

func TestResolverInternalNeverForwards(t *testing.T) {
	up := startUpstream(t)
	r := NewResolver(Config{Registry: testRegistry(t), Networks: []Network{{Name: "back", Internal: true}}, Upstream: &Upstream{Servers: []string{up.addr}}})
	w := udpRecorder()
	r.ServeDNS(w, new(dns.Msg).SetQuestion("example.com.", dns.TypeA))
	if w.msg.Rcode != dns.RcodeRefused || len(w.msg.Answer) != 0 {
		t.Errorf("got %s %v, want REFUSED with no answer", dns.RcodeToString[w.msg.Rcode], answers(w.msg))
	}
	w = udpRecorder()
	r.ServeDNS(w, new(dns.Msg).SetQuestion("db.", dns.TypeA))
	if got := answers(w.msg); len(got) != 1 {
		t.Errorf("db on the internal network: got %v", got)
	}
	if n := up.queries.Load(); n != 0 {
		t.Errorf("upstream got %d queries from an internal network, want 0", n)
	}
}

func TestResolverUpstreamDown(t *testing.T) {
	r := NewResolver(Config{Registry: testRegistry(t), Networks: []Network{{Name: "front"}}, Upstream: &Upstream{Servers: []string{"127.0.0.1:1"}, Timeout: 200e6}})
	w := udpRecorder()
	r.ServeDNS(w, new(dns.Msg).SetQuestion("example.com.", dns.TypeA))
	if w.msg.Rcode != dns.RcodeServerFailure {
		t.Errorf("got %s, want SERVFAIL", dns.RcodeToString[w.msg.Rcode])
	}
}

func TestResolverTruncation(t *testing.T) {
	up := startUpstream(t)
	reg := &Registry{Dir: t.TempDir()}
	for i := 0; i < 50; i++ {
		reg.Put("n", Endpoint{ContainerID: "r" + strconv.Itoa(i), Names: []string{"many"}, Addrs: addrs("10.8.0." + strconv.Itoa(i+2))})
	}
	r := NewResolver(Config{Registry: reg, Networks: []Network{{Name: "n"}}, Upstream: &Upstream{Servers: []string{up.addr}}})
	for _, name := range []string{"many.", "big.example.com."} {
		w := udpRecorder()
		r.ServeDNS(w, new(dns.Msg).SetQuestion(name, dns.TypeA))
		if !w.msg.Truncated || w.msg.Len() > dns.MinMsgSize {
			t.Errorf("%s over udp: truncated=%v size=%d, want TC within 512 bytes", name, w.msg.Truncated, w.msg.Len())
		}
		w = tcpRecorder()
		r.ServeDNS(w, new(dns.Msg).SetQuestion(name, dns.TypeA))
		if w.msg.Truncated || len(w.msg.Answer) < 50 {
			t.Errorf("%s over tcp: truncated=%v answers=%d, want all", name, w.msg.Truncated, len(w.msg.Answer))
		}
	}
}

func TestParseReverse(t *testing.T) {
	tests := map[string]string{
		"4.3.2.1.in-addr.arpa": "1.2.3.4",
		"3.2.1.in-addr.arpa":   "",
		"example.com":          "",
	}
	rev6, _ := dns.ReverseAddr("fd00::1")
	tests[strings.TrimSuffix(rev6, ".")] = "fd00::1"
	for in, want := range tests {
		a, ok := parseReverse(in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != want {
			t.Errorf("parseReverse(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestResolverFindsOwnNetworks(t *testing.T) {
	up := startUpstream(t)
	reg := testRegistry(t)
	r := NewResolver(Config{Registry: reg, ContainerID: "w1", Upstream: &Upstream{Servers: []string{up.addr}}})
	ask := func(name string) *dns.Msg {
		w := udpRecorder()
		r.ServeDNS(w, new(dns.Msg).SetQuestion(name, dns.TypeA))
		return w.msg
	}
	if got := answers(ask("cache.")); len(got) != 1 {
		t.Errorf("cache from w1: got %v", got)
	}
	if m := ask("db."); m.Rcode != dns.RcodeNameError {
		t.Errorf("db from w1 before connect: got %s", dns.RcodeToString[m.Rcode])
	}
	// network connect: w1 joins back.
	reg.Put("back", Endpoint{ContainerID: "w1", Names: []string{"demo-web-1"}, Addrs: addrs("10.6.0.9")})
	r.mu.Lock()
	r.checked = time.Time{}
	r.mu.Unlock()
	if got := answers(ask("db.")); len(got) != 1 {
		t.Errorf("db from w1 after connect: got %v", got)
	}

	internal := NewResolver(Config{Registry: reg, ContainerID: "i1", Upstream: &Upstream{Servers: []string{up.addr}}})
	reg.Put("sealed", Endpoint{ContainerID: "i1", Names: []string{"lonely"}, Addrs: addrs("10.9.0.2"), Internal: true})
	w := udpRecorder()
	internal.ServeDNS(w, new(dns.Msg).SetQuestion("example.com.", dns.TypeA))
	if w.msg.Rcode != dns.RcodeRefused {
		t.Errorf("internal-only container forwarding: got %s, want REFUSED", dns.RcodeToString[w.msg.Rcode])
	}
}

func TestRegistryRemoveAll(t *testing.T) {
	reg := testRegistry(t)
	reg.Put("back", Endpoint{ContainerID: "w1", Names: []string{"x"}, Addrs: addrs("10.6.0.9")})
	if err := reg.RemoveAll("w1"); err != nil {
		t.Fatal(err)
	}
	if got := reg.networksOf("w1"); len(got) != 0 {
		t.Errorf("networks of w1 after RemoveAll: %v", got)
	}
	if got := reg.networksOf("w2"); len(got) != 1 || got[0].Name != "front" {
		t.Errorf("networks of w2: got %v, want front", got)
	}
}
