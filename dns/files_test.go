package dns

import (
	"net/netip"
	"testing"
)

func TestResolvConf(t *testing.T) {
	tests := []struct {
		name string
		in   ResolvConfOptions
		want string
	}{
		{"default", ResolvConfOptions{HostSearch: []string{"corp.example"}},
			"nameserver 127.0.0.11\nsearch corp.example\noptions ndots:0\n"},
		{"dns_search and dns_opt", ResolvConfOptions{Search: []string{"a.example", "b.example"}, Options: []string{"timeout:1", "ndots:2"}, HostSearch: []string{"corp.example"}},
			"nameserver 127.0.0.11\nsearch a.example b.example\noptions timeout:1 ndots:2\n"},
		{"host network", ResolvConfOptions{Nameservers: []string{"192.0.2.53"}},
			"nameserver 192.0.2.53\n"},
	}
	for _, tt := range tests {
		if got := string(ResolvConf(tt.in)); got != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestHosts(t *testing.T) {
	got := string(Hosts(HostsOptions{
		Hostname: "web1", Domainname: "example.org",
		Addrs: []netip.Addr{netip.MustParseAddr("10.89.0.2")},
		Extra: []HostEntry{{Host: "somehost", IP: "192.0.2.7"}},
	}))
	want := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" +
		"10.89.0.2\tweb1.example.org web1\n192.0.2.7\tsomehost\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := string(Hostname("web1")); got != "web1\n" {
		t.Errorf("hostname: got %q", got)
	}
}
