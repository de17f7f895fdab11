package container

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// etcFiles are the files the runtime writes for a container and binds over
// the image's copies.
var etcFiles = []string{"hosts", "resolv.conf", "hostname"}

// etcMounts binds dir's files into the container.
func etcMounts(dir string, readOnly bool) []Mount {
	var out []Mount
	for _, f := range etcFiles {
		out = append(out, Mount{Type: "bind", Source: filepath.Join(dir, f), Target: "/etc/" + f, ReadOnly: readOnly})
	}
	return out
}

// writeEtcFiles writes hosts, resolv.conf and hostname in place: the init
// may already have bound them, and a bind mount holds on to the inode.
func writeEtcFiles(dir string, cfg *Config, ifaces []Interface, embeddedDNS bool) error {
	files := map[string]string{
		"hosts":       hostsFile(cfg, ifaces),
		"resolv.conf": resolvConf(cfg.Network, embeddedDNS),
		"hostname":    cfg.Hostname + "\n",
	}
	if cfg.Network.Mode == "host" {
		if data, err := os.ReadFile("/etc/hosts"); err == nil {
			files["hosts"] = string(data)
		}
	}
	for _, name := range etcFiles {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		_, err = f.WriteString(files[name])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeEtcHosts rewrites hosts, the one file the addresses change, once
// the network is wired. It overwrites in place and then cuts the file to
// length: a truncation to zero of a file with data makes ext4 start its
// writeback at close (auto_da_alloc), CPU time the start would pay for.
func writeEtcHosts(dir string, cfg *Config, ifaces []Interface) error {
	f, err := os.OpenFile(filepath.Join(dir, "hosts"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	data := hostsFile(cfg, ifaces)
	_, err = f.WriteAt([]byte(data), 0)
	if err == nil {
		err = f.Truncate(int64(len(data)))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// hostsFile is a container's hosts: localhost, the extra hosts and its
// own addresses under its names.
func hostsFile(cfg *Config, ifaces []Interface) string {
	var hosts strings.Builder
	hosts.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	hosts.WriteString("fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	for _, e := range cfg.Network.ExtraHosts {
		fmt.Fprintf(&hosts, "%s\t%s\n", e.IP, e.Host)
	}
	names := cfg.Hostname
	if cfg.Domainname != "" {
		names = cfg.Hostname + "." + cfg.Domainname + " " + cfg.Hostname
	}
	for _, ifc := range ifaces {
		for _, a := range ifc.Addrs {
			fmt.Fprintf(&hosts, "%s\t%s\n", a.Addr(), names)
		}
	}
	return hosts.String()
}

// resolvConf points at the embedded resolver when there is one; otherwise
// it copies the host's servers, leaving out loopback ones that would not
// answer from inside a network namespace.
func resolvConf(n NetworkConfig, embeddedDNS bool) string {
	var b strings.Builder
	servers := n.DNS
	search, options := n.DNSSearch, n.DNSOptions
	if embeddedDNS {
		servers = []string{"127.0.0.11"}
		options = append([]string{"ndots:0"}, options...)
	}
	if len(servers) == 0 || len(search) == 0 {
		hostServers, hostSearch := hostResolvConf(n.Mode == "host")
		if len(servers) == 0 {
			servers = hostServers
		}
		if len(search) == 0 {
			search = hostSearch
		}
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	if len(options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(options, " "))
	}
	return b.String()
}

func hostResolvConf(keepLoopback bool) (servers, search []string) {
	f, err := os.Open("/etc/resolv.conf")
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "nameserver":
			if keepLoopback || !(strings.HasPrefix(fields[1], "127.") || fields[1] == "::1") {
				servers = append(servers, fields[1])
			}
		case "search":
			search = fields[1:]
		}
	}
	return servers, search
}
