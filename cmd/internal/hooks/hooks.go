// Package hooks connects a container's monitor to networking and name
// resolution: it implements container.Hooks with the network and dns
// packages. Both the stack command and the small monitor binary
// (cmd/stack-monitor) use it.
package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"stack/dns"
	"stack/network"
	"stack/runtime/container"
)

// Networking implements the container monitor's networking hooks with
// the network and dns packages, for the state under one root and run
// root.
type Networking struct {
	root, runRoot string
	Networks      *network.Manager
	Registry      *dns.Registry

	mu sync.Mutex
	// resolverSockets are opened by Attach, synchronously, so that the
	// resolver answers before the user process starts; Serve takes them.
	resolverSockets map[string]*dns.Sockets
}

// New returns the hooks for the state under root and runRoot; the
// network manager's warnings go to stderr.
func New(root, runRoot string) *Networking {
	return &Networking{
		root: root, runRoot: runRoot,
		Networks:        NetworkManager(root),
		Registry:        DNSRegistry(runRoot),
		resolverSockets: map[string]*dns.Sockets{},
	}
}

// Hooks are the container runtime's hooks, all served by n.
func (n *Networking) Hooks() container.Hooks {
	return container.Hooks{Network: n, DNS: n, Ports: n}
}

// NetworkManager opens the network records under root and sends its
// warnings to stderr.
func NetworkManager(root string) *network.Manager {
	m := network.NewManager(root)
	m.Warn = func(msg string) { fmt.Fprintln(os.Stderr, "warning:", msg) }
	return m
}

// DNSRegistry is where every monitor's resolver finds the records.
func DNSRegistry(runRoot string) *dns.Registry {
	return &dns.Registry{Dir: filepath.Join(runRoot, "networks")}
}

// Attach wires one interface per attachment (eth0 carries the default
// route), publishes the container's DNS records, and opens the resolver's
// sockets inside the namespace.
func (h *Networking) Attach(ctx context.Context, containerID string, cfg container.NetworkConfig, pid int) ([]container.Interface, error) {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return nil, fmt.Errorf("network namespace of pid %d: %w", pid, err)
	}
	defer ns.Close()
	names := h.dnsNames(containerID, cfg)
	attachments := h.attachments(cfg)
	var ifaces []container.Interface
	for i, a := range attachments {
		opts := network.AttachOptions{
			ContainerID: containerID, Network: a.Network, Interface: "eth" + strconv.Itoa(i),
			Addrs: staticAddrs(a), MAC: a.MAC, DefaultRoute: i == 0,
		}
		att, err := h.Networks.Attach(opts, ns)
		// The default network is made on first use, found missing by
		// the attach itself rather than by a lookup of its own; a
		// concurrent `network rm bridge` can also take it away between
		// its creation and the attach: make it again.
		for try := 0; errors.Is(err, network.ErrNotFound) && a.Network == DefaultNetwork && try < 3; try++ {
			if err = h.createDefault(); err == nil {
				att, err = h.Networks.Attach(opts, ns)
			}
		}
		if err == nil {
			err = h.Registry.Put(a.Network, dns.Endpoint{ContainerID: containerID, Names: AppendNames(names, a.Aliases), Addrs: PrefixAddrs(att.Addrs), Internal: att.Internal})
		}
		if err != nil {
			return nil, errors.Join(err, h.Detach(ctx, containerID, cfg))
		}
		ifaces = append(ifaces, container.Interface{Name: att.Interface, Network: a.Network, Addrs: att.Addrs, Gateway: att.Gateways[0], MAC: att.MAC})
	}
	if len(attachments) == 0 {
		if err := network.LoopbackUp(ns); err != nil {
			return nil, err
		}
	}
	if err := h.openResolver(containerID, ns); err != nil {
		return nil, errors.Join(err, h.Detach(ctx, containerID, cfg))
	}
	return ifaces, nil
}

// openResolver binds the resolver in the namespace Attach already holds,
// not through the pid, which the init may have left by now.
func (h *Networking) openResolver(containerID string, ns netns.NsHandle) error {
	fd, err := unix.FcntlInt(uintptr(ns), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "netns")
	defer f.Close()
	socks, err := dns.Listen(f, dns.Address)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closeResolverLocked(containerID)
	h.resolverSockets[containerID] = socks
	return nil
}

func (h *Networking) closeResolverLocked(containerID string) {
	if s, ok := h.resolverSockets[containerID]; ok {
		s.Close()
		delete(h.resolverSockets, containerID)
	}
}

// dnsNames are the names a container has on every network: its name and
// hostname; each attachment adds its aliases (for a stack, the service
// name, the <project>-<service>-<n> name and the stack file's aliases).
func (h *Networking) dnsNames(containerID string, cfg container.NetworkConfig) []string {
	var names []string
	if store, err := container.OpenStore(h.root, h.runRoot); err == nil {
		if c, err := store.Get(containerID); err == nil && c.Name != "" {
			names = append(names, c.Name)
		}
	}
	if cfg.Hostname != "" {
		names = append(names, cfg.Hostname)
	}
	return names
}

// AppendNames is names followed by those of more it lacks, without empty ones.
func AppendNames(names, more []string) []string {
	out := append([]string(nil), names...)
	for _, n := range more {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func staticAddrs(a container.Attachment) []netip.Addr {
	var out []netip.Addr
	for _, addr := range []netip.Addr{a.IPv4, a.IPv6} {
		if addr.IsValid() {
			out = append(out, addr)
		}
	}
	return out
}

// PrefixAddrs are the addresses of list, without their prefix lengths.
func PrefixAddrs(list []netip.Prefix) []netip.Addr {
	out := make([]netip.Addr, len(list))
	for i, p := range list {
		out[i] = p.Addr()
	}
	return out
}

// DefaultNetwork is the network of a bridge-mode container that names
// none, as Docker's "bridge"; it is created on first use and stays until
// `network rm` or `network prune`.
const DefaultNetwork = "bridge"

// attachments are the container's networks; a bridge-mode container
// without any joins DefaultNetwork.
func (h *Networking) attachments(cfg container.NetworkConfig) []container.Attachment {
	if cfg.Mode != "bridge" || len(cfg.Attachments) > 0 {
		return cfg.Attachments
	}
	return []container.Attachment{{Network: DefaultNetwork}}
}

// createDefault makes DefaultNetwork; one made meanwhile by a concurrent
// start is as good.
func (h *Networking) createDefault() error {
	_, err := h.Networks.Create(network.CreateOptions{Name: DefaultNetwork})
	if err != nil && !errors.Is(err, network.ErrExists) {
		return fmt.Errorf("default network: %w", err)
	}
	return nil
}

// Detach withdraws the DNS records first, so names vanish at once, then
// the DNAT rules, veths and addresses. Every step tolerates what is gone.
// The runtime calls it once the container's processes are gone, so the
// veths are only released: the kernel deletes them with the container's
// network namespace. The default network stays, as Docker's docker0 does:
// making and removing its bridge for every container cost more than the
// container itself.
func (h *Networking) Detach(_ context.Context, containerID string, cfg container.NetworkConfig) error {
	h.mu.Lock()
	h.closeResolverLocked(containerID)
	h.mu.Unlock()
	errs := []error{h.Registry.RemoveAll(containerID)}
	// Only a container that publishes ports has DNAT rules; looking for
	// them costs a dump of two chains.
	if len(cfg.Ports) > 0 {
		errs = append(errs, h.Networks.Unpublish(containerID))
	}
	for _, a := range cfg.Attachments {
		errs = append(errs, h.Networks.Release(containerID, a.Network))
	}
	if cfg.Mode == "bridge" && len(cfg.Attachments) == 0 {
		errs = append(errs, h.Networks.Release(containerID, DefaultNetwork))
	}
	// Networks joined with `network connect` are not in cfg.
	errs = append(errs, h.Networks.ReleaseAll(containerID))
	return errors.Join(errs...)
}

// Serve answers on the sockets Attach opened (or opens them now) until
// ctx is done.
func (h *Networking) Serve(ctx context.Context, containerID string, cfg container.NetworkConfig, _ []container.Interface, nsFile *os.File) error {
	h.mu.Lock()
	socks, ok := h.resolverSockets[containerID]
	delete(h.resolverSockets, containerID)
	h.mu.Unlock()
	if !ok {
		var err error
		if socks, err = dns.Listen(nsFile, dns.Address); err != nil {
			return err
		}
	}
	r := dns.NewResolver(dns.Config{
		Registry: h.Registry, ContainerID: containerID,
		Upstream: &dns.Upstream{Servers: cfg.DNS},
	})
	return dns.Serve(ctx, socks, r)
}

// Reserve binds the host ports once, so that a conflict fails before the
// container is created, and resolves random ports.
func (h *Networking) Reserve(_ context.Context, _ string, ports []container.PortBinding) ([]container.PortBinding, error) {
	bindings, err := toNetworkPorts(ports)
	if err != nil {
		return nil, err
	}
	got, err := network.Reserve(bindings)
	if err != nil {
		return nil, err
	}
	return withHostPorts(ports, got), nil
}

// Publish forwards the host ports to the container's first network
// address and returns the ports as bound.
func (h *Networking) Publish(_ context.Context, containerID string, ports []container.PortBinding, ifaces []container.Interface) ([]container.PortBinding, io.Closer, error) {
	bindings, err := toNetworkPorts(ports)
	if err != nil {
		return nil, nil, err
	}
	if len(ifaces) == 0 {
		return nil, nil, errors.New("publish ports: the container has no network interface")
	}
	p, err := h.Networks.Publish(containerID, bindings, PrefixAddrs(ifaces[0].Addrs))
	if err != nil {
		return nil, nil, err
	}
	return withHostPorts(ports, p.Bindings()), p, nil
}

// withHostPorts is ports with the host ports that were bound for them.
func withHostPorts(ports []container.PortBinding, bound []network.PortBinding) []container.PortBinding {
	out := make([]container.PortBinding, len(ports))
	for i, p := range ports {
		p.HostPort, p.HostPortEnd = bound[i].HostPort, bound[i].HostPortEnd
		out[i] = p
	}
	return out
}

func toNetworkPorts(ports []container.PortBinding) ([]network.PortBinding, error) {
	out := make([]network.PortBinding, 0, len(ports))
	for _, p := range ports {
		b := network.PortBinding{HostPort: p.HostPort, HostPortEnd: p.HostPortEnd, ContainerPort: p.ContainerPort, Proto: p.Protocol}
		if b.Proto == "" {
			b.Proto = "tcp"
		}
		if p.HostIP != "" {
			ip, err := netip.ParseAddr(p.HostIP)
			if err != nil {
				return nil, fmt.Errorf("published port %d: host ip %q: expected an IP address", p.ContainerPort, p.HostIP)
			}
			b.HostIP = ip
		}
		out = append(out, b)
	}
	return out, nil
}
