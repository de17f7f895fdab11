package container

import (
	"context"
	"io"
	"net/netip"
	"os"
	"strconv"
)

// NetworkConfig is the plain description of a container's networking. The
// runtime does not interpret attachments, ports or DNS itself: it hands them
// to the Hooks, which cmd/stack wires to the network and dns packages.
type NetworkConfig struct {
	// Mode is "bridge" (attachments below), "none" (loopback only), "host"
	// (no new network namespace) or "container:<id>" (join that
	// container's network namespace).
	Mode        string
	Attachments []Attachment
	Ports       []PortBinding
	Exposed     []Port   `json:",omitempty"` // ports exposed, published or not
	DNS         []string // nameservers the resolver forwards to instead of the host's
	DNSSearch   []string
	DNSOptions  []string
	ExtraHosts  []HostEntry // extra /etc/hosts lines
	Hostname    string
	Domainname  string
}

// Attachment is one network a container joins.
type Attachment struct {
	Network string     // network name as the network package knows it
	IPv4    netip.Addr // static address; the zero Addr means "allocate"
	IPv6    netip.Addr
	Aliases []string // extra DNS names on this network (service name, aliases)
	MAC     string
}

// PortBinding publishes a container port on the host. A HostPortEnd above
// HostPort makes a range: the container gets the first port of it that is
// free when it starts.
type PortBinding struct {
	HostIP        string // "" means every address
	HostPort      uint16 // 0 means a random free port
	HostPortEnd   uint16 `json:",omitempty"`
	ContainerPort uint16
	Protocol      string // "tcp" or "udp"
}

// Port is a container port with its protocol, as Docker writes it: 80/tcp.
type Port struct {
	Number   uint16
	Protocol string // "tcp", "udp" or "sctp"
}

func (p Port) String() string { return strconv.Itoa(int(p.Number)) + "/" + p.Protocol }

// HostEntry is one line of /etc/hosts.
type HostEntry struct {
	Host string
	IP   string
}

// Interface is what a NetworkHook set up inside the container.
type Interface struct {
	Name    string // eth0, eth1, ...
	Network string // the attachment's network
	Addrs   []netip.Prefix
	Gateway netip.Addr
	MAC     string
}

// Hooks connect a container's monitor to networking and name resolution,
// which live outside the runtime. Every field may be nil: without a
// NetworkHook a "bridge" container gets only a loopback interface.
type Hooks struct {
	Network NetworkHook
	DNS     DNSHook
	Ports   PortHook
}

// NetworkHook wires a container's network namespace. The monitor calls Attach
// after it has cloned the init into its new namespaces and before the init
// starts the user process, and Detach once the container has stopped; cleanup
// after a crash calls Detach too, so it must be idempotent and tolerate
// half-made state and a pid that is gone.
type NetworkHook interface {
	Attach(ctx context.Context, containerID string, cfg NetworkConfig, pid int) ([]Interface, error)
	Detach(ctx context.Context, containerID string, cfg NetworkConfig) error
}

// DNSHook serves the embedded resolver on 127.0.0.11:53 inside the
// container's network namespace (netns is an open handle on it) until ctx is
// done. It is called after Attach and before the user process starts, so
// names resolve from the first instruction.
type DNSHook interface {
	Serve(ctx context.Context, containerID string, cfg NetworkConfig, ifaces []Interface, netns *os.File) error
}

// PortHook publishes ports. Reserve runs when the container is created, in
// the CLI, so that a port conflict fails before anything is made; it returns
// the bindings with random ports resolved (ranges stay ranges). Publish runs
// in the monitor after Attach, returns the bindings as bound (every host
// port resolved) and forwards until the returned Closer is closed.
type PortHook interface {
	Reserve(ctx context.Context, containerID string, ports []PortBinding) ([]PortBinding, error)
	Publish(ctx context.Context, containerID string, ports []PortBinding, ifaces []Interface) ([]PortBinding, io.Closer, error)
}
