package dns

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

func TestUpstreamFollowsResolvConf(t *testing.T) {
	first, second := startUpstream(t), startUpstream(t)
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	write := func(server string) {
		host, port, _ := net.SplitHostPort(server)
		// A custom port is only expressible as host:port here; real
		// files carry bare addresses, which get port 53.
		if err := os.WriteFile(conf, []byte("# generated\nsearch example.org\nnameserver "+host+":"+port+"\noptions edns0\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(first.addr)
	u := &Upstream{ResolvConf: conf}
	ask := func() {
		resp := u.Forward(new(dns.Msg).SetQuestion("example.com.", dns.TypeA), false)
		if got := answers(resp); !slices.Equal(got, []string{"192.0.2.10"}) {
			t.Fatalf("got %v", got)
		}
	}
	ask()
	write(second.addr)
	// The new file may carry the same mtime tick as the old one; its
	// size or the recent-change rule makes it be read again.
	ask()
	if first.queries.Load() != 1 || second.queries.Load() != 1 {
		t.Errorf("queries: first %d, second %d, want 1 and 1 after the file changed", first.queries.Load(), second.queries.Load())
	}
}

func TestReadResolvConf(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(conf, []byte("; comment\nnameserver 192.0.2.53\nnameserver 2001:db8::53\ndomain corp.example\nsearch a.example b.example\noptions ndots:2 timeout:1\n"), 0o644)
	got, err := ReadResolvConf(conf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Nameservers, []string{"192.0.2.53", "2001:db8::53"}) || !slices.Equal(got.Search, []string{"a.example", "b.example"}) || !slices.Equal(got.Options, []string{"ndots:2", "timeout:1"}) {
		t.Errorf("got %+v", got)
	}
	if got := withPort(got.Nameservers); !slices.Equal(got, []string{"192.0.2.53:53", "[2001:db8::53]:53"}) {
		t.Errorf("withPort: got %v", got)
	}
}
