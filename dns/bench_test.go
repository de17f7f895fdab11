package dns

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/miekg/dns"
)

// Docker's figure (BENCHMARKS.md): one gethostbyname("redis") from Python
// in a container takes 86 µs; the target is <= 50 µs. These benchmarks
// measure the resolver's share; cmd/stack's BenchmarkLookupFromPython
// measures the whole path from Python.

func benchRegistry(b *testing.B) *Registry {
	reg := &Registry{Dir: b.TempDir()}
	for i := 0; i < 20; i++ {
		reg.Put("n", Endpoint{ContainerID: "c" + strconv.Itoa(i), Names: []string{"proj-svc" + strconv.Itoa(i) + "-1", "svc" + strconv.Itoa(i)}, Addrs: addrs("10.9.0." + strconv.Itoa(i+2))})
	}
	reg.Put("n", Endpoint{ContainerID: "me", Names: []string{"me"}, Addrs: addrs("10.9.1.2")})
	return reg
}

func BenchmarkHandler(b *testing.B) {
	r := NewResolver(Config{Registry: benchRegistry(b), ContainerID: "me"})
	req := new(dns.Msg).SetQuestion("svc7.", dns.TypeA)
	w := udpRecorder()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.ServeDNS(w, req)
	}
}

func BenchmarkUDPRoundTrip(b *testing.B) {
	socks, err := ListenHere("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, socks, NewResolver(Config{Registry: benchRegistry(b), ContainerID: "me"}))
	c, err := net.Dial("udp", socks.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	conn := &dns.Conn{Conn: c}
	req := new(dns.Msg).SetQuestion("svc7.", dns.TypeA)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := conn.WriteMsg(req); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.ReadMsg(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/lookup")
}
