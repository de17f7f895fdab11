package dns

import (
	"bufio"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Upstream forwards queries to the host's resolvers. Its sockets are made
// by whatever goroutine forwards, in the monitor's (the host's) network
// namespace, so loopback resolvers like 127.0.0.53 work.
type Upstream struct {
	// Servers, when set, are used instead of the host's (a service's
	// dns: list); "ip" or "ip:port".
	Servers []string
	// ResolvConf is the host file to follow; it is re-read whenever it
	// changes. Default /etc/resolv.conf.
	ResolvConf string
	// Timeout per server and attempt; default 2 s.
	Timeout time.Duration

	mu      sync.Mutex
	mtime   time.Time
	size    int64
	servers []string
}

// Forward asks each server in turn and returns the first answer that is
// not SERVFAIL, retrying over TCP when an answer is truncated; SERVFAIL
// when none answers.
func (u *Upstream) Forward(req *dns.Msg, tcp bool) *dns.Msg {
	servers := u.list()
	var last *dns.Msg
	for _, s := range servers {
		resp := u.exchange(req, s, tcp)
		if resp == nil {
			continue
		}
		if resp.Rcode != dns.RcodeServerFailure {
			return resp
		}
		last = resp
	}
	if last != nil {
		return last
	}
	return new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
}

func (u *Upstream) exchange(req *dns.Msg, server string, tcp bool) *dns.Msg {
	timeout := u.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	proto := "udp"
	if tcp {
		proto = "tcp"
	}
	c := &dns.Client{Net: proto, Timeout: timeout, UDPSize: dns.DefaultMsgSize}
	resp, _, err := c.Exchange(req, server)
	if err == nil && resp.Truncated && !tcp {
		c.Net = "tcp"
		if full, _, err := c.Exchange(req, server); err == nil {
			return full
		}
	}
	if err != nil {
		return nil
	}
	return resp
}

// list returns the servers to ask, re-reading the host's resolv.conf
// when its size or mtime changed.
func (u *Upstream) list() []string {
	if len(u.Servers) > 0 {
		return withPort(u.Servers)
	}
	path := u.ResolvConf
	if path == "" {
		path = "/etc/resolv.conf"
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	fi, err := os.Stat(path)
	if err != nil {
		return u.servers
	}
	if fi.ModTime().Equal(u.mtime) && fi.Size() == u.size && time.Since(u.mtime) > recent {
		return u.servers
	}
	conf, err := ReadResolvConf(path)
	if err != nil {
		return u.servers
	}
	u.servers, u.mtime, u.size = withPort(conf.Nameservers), fi.ModTime(), fi.Size()
	return u.servers
}

func withPort(servers []string) []string {
	out := make([]string, 0, len(servers))
	for _, s := range servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			s = net.JoinHostPort(strings.Trim(s, "[]"), "53")
		}
		out = append(out, s)
	}
	return out
}

// ResolvConfData is what stack reads from a resolv.conf.
type ResolvConfData struct {
	Nameservers []string
	Search      []string
	Options     []string
}

// ReadResolvConf parses the nameserver, search/domain and options lines
// of a resolv.conf.
func ReadResolvConf(path string) (ResolvConfData, error) {
	var c ResolvConfData
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") || strings.HasPrefix(fields[0], ";") {
			continue
		}
		switch fields[0] {
		case "nameserver":
			c.Nameservers = append(c.Nameservers, fields[1])
		case "search", "domain":
			c.Search = fields[1:]
		case "options":
			c.Options = append(c.Options, fields[1:]...)
		}
	}
	return c, sc.Err()
}
