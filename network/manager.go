package network

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
)

// DefaultTable is the nftables table stack owns.
const DefaultTable = "stack"

// Manager creates, removes and attaches networks. Its records live under
// Dir; the kernel objects it makes are bridges, veth pairs and rules in the
// nftables table Table.
type Manager struct {
	Dir    string // where network records live, e.g. <root>/networks
	Table  string // nftables table (inet family) for NAT and isolation
	Pools  []Pool // automatic IPv4 subnets
	Pools6 []Pool // automatic IPv6 subnets
	// ProxyOnly leaves published ports to the userland proxy, as when
	// nf_tables is missing.
	ProxyOnly bool
	// Warn receives problems that do not stop the operation, such as a
	// missing nf_tables (no egress) or a FORWARD drop policy.
	Warn func(msg string)

	store store

	mu sync.Mutex
	// unpublished are the containers whose DNAT rules a Publication's
	// Close of this process removed: Unpublish has nothing left to do.
	unpublished map[string]bool
}

// NewManager returns a Manager with the default pools and table, keeping
// its records under root/networks.
func NewManager(root string) *Manager {
	return &Manager{
		Dir:    filepath.Join(root, "networks"),
		Table:  DefaultTable,
		Pools:  DefaultPools,
		Pools6: DefaultPools6,
	}
}

func (m *Manager) st() *store {
	m.store.dir = m.Dir
	return &m.store
}

func (m *Manager) warn(format string, args ...any) {
	if m.Warn != nil {
		m.Warn(fmt.Sprintf(format, args...))
	}
}

// CreateOptions describe a new network. Subnets may leave Gateway and
// IPRange zero; without an IPv4 subnet one is chosen from the pools, and
// with IPv6 set and no IPv6 subnet one is chosen from Pools6.
type CreateOptions struct {
	Name     string
	Subnets  []Subnet
	IPv6     bool
	Internal bool
	Labels   map[string]string
}

// Create makes a network: its record first, then the bridge and NAT rules.
// On failure nothing is left behind.
func (m *Manager) Create(opts CreateOptions) (*Network, error) {
	if err := checkName(opts.Name); err != nil {
		return nil, err
	}
	var n *Network
	// The subnet is free once no route and no record overlaps it, and
	// it stays so once the bridge carries its route: both happen under a
	// host-wide lock, because other stack roots choose from the same
	// pools.
	err := withLock(hostLockPath(), func() error {
		// What discarded roots left would hold subnets and rules.
		m.sweep()
		return m.st().locked(func() error {
			var err error
			if n, err = m.plan(opts); err != nil {
				return err
			}
			if err := m.st().create(n); err != nil {
				return err
			}
			if err := m.setUp(n, true); err != nil {
				m.tearDown(n)
				m.st().remove(n.Name)
				return fmt.Errorf("network %q: %w", n.Name, err)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// hostLockPath is the lock every stack process on the host takes to
// choose a subnet.
func hostLockPath() string {
	if fi, err := os.Stat("/run/lock"); err == nil && fi.IsDir() {
		return "/run/lock/stack-subnets.lock"
	}
	return filepath.Join(os.TempDir(), "stack-subnets.lock")
}

// plan fills in a network record; the caller holds the lock.
func (m *Manager) plan(opts CreateOptions) (*Network, error) {
	if _, err := m.st().load(opts.Name); err == nil {
		return nil, fmt.Errorf("network %q: %w", opts.Name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	taken, err := m.takenPrefixes()
	if err != nil {
		return nil, err
	}
	subnets, err := completeSubnets(opts, taken, m.Pools, m.Pools6)
	if err != nil {
		return nil, fmt.Errorf("network %q: %w", opts.Name, err)
	}
	id := newID()
	return &Network{
		Name:      opts.Name,
		ID:        id,
		Bridge:    bridgeName(id),
		Subnets:   subnets,
		Internal:  opts.Internal,
		Labels:    opts.Labels,
		MTU:       hostMTU(),
		Created:   time.Now().UTC().Truncate(time.Second),
		Endpoints: map[string]Endpoint{},
	}, nil
}

func (m *Manager) takenPrefixes() ([]netip.Prefix, error) {
	taken, err := hostRoutes()
	if err != nil {
		return nil, err
	}
	others, err := m.st().list()
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		for _, s := range o.Subnets {
			taken = append(taken, s.Prefix)
		}
	}
	return taken, nil
}

// completeSubnets validates the requested subnets and fills in what was
// left to choose: gateways and automatic subnets.
func completeSubnets(opts CreateOptions, taken []netip.Prefix, pools, pools6 []Pool) ([]Subnet, error) {
	var out []Subnet
	has4, has6 := false, false
	for _, s := range opts.Subnets {
		if err := checkSubnet(s, taken); err != nil {
			return nil, err
		}
		s.Prefix = s.Prefix.Masked()
		if !s.Gateway.IsValid() {
			s.Gateway = defaultGateway(s.Prefix)
		}
		has4 = has4 || s.Prefix.Addr().Is4()
		has6 = has6 || s.Prefix.Addr().Is6()
		out = append(out, s)
	}
	if has6 && !opts.IPv6 {
		return nil, errors.New("an IPv6 subnet needs --ipv6")
	}
	if !has4 {
		p, err := chooseSubnet(pools, taken)
		if err != nil {
			return nil, err
		}
		out = append([]Subnet{{Prefix: p, Gateway: defaultGateway(p)}}, out...)
	}
	if opts.IPv6 && !has6 {
		p, err := chooseSubnet(pools6, taken)
		if err != nil {
			return nil, err
		}
		out = append(out, Subnet{Prefix: p, Gateway: defaultGateway(p)})
	}
	return out, nil
}

func checkSubnet(s Subnet, taken []netip.Prefix) error {
	p := s.Prefix
	switch {
	case !p.IsValid():
		return errors.New("subnet: expected an address range like 10.1.0.0/24")
	case p.Addr().Is4() && p.Bits() > 30, p.Addr().Is6() && p.Bits() > 126:
		return fmt.Errorf("subnet %s is too small for a gateway and a container", p)
	case overlapsAny(p, taken):
		return fmt.Errorf("subnet %s overlaps a host route or another network", p)
	case s.Gateway.IsValid() && (!p.Contains(s.Gateway) || s.Gateway == p.Masked().Addr()):
		return fmt.Errorf("gateway %s is not a host address of subnet %s", s.Gateway, p)
	case s.IPRange.IsValid() && (!p.Contains(s.IPRange.Addr()) || s.IPRange.Bits() < p.Bits()):
		return fmt.Errorf("ip range %s is not inside subnet %s", s.IPRange, p)
	}
	return nil
}

func newID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// setUp makes the kernel side of n: the bridge, forwarding and NAT rules.
// A fresh network, just planned, cannot have rules yet.
func (m *Manager) setUp(n *Network, fresh bool) error {
	if err := ensureBridge(n, m.bridgeAlias(n)); err != nil {
		return err
	}
	if !n.Internal {
		for _, s := range n.Subnets {
			key := "net/ipv4/ip_forward"
			if s.Prefix.Addr().Is6() {
				key = "net/ipv6/conf/all/forwarding"
			}
			if err := sysctl(key, "1"); err != nil {
				m.warn("cannot enable %s: %v; containers on %q cannot reach the outside", key, err, n.Name)
			}
		}
	}
	return m.addNetworkRules(n, fresh)
}

// tearDown removes the kernel side of n; every step tolerates what is
// already gone.
func (m *Manager) tearDown(n *Network) error {
	return errors.Join(m.delNetworkRules(n), deleteLink(n.Bridge))
}

// Ensure recreates the kernel side of a network whose record exists, as
// after a reboot, and returns the record.
func (m *Manager) Ensure(name string) (*Network, error) {
	n, err := m.Inspect(name)
	if err != nil {
		return nil, err
	}
	if err := m.setUp(n, false); err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	return n, nil
}

// Inspect returns the record of one network.
func (m *Manager) Inspect(name string) (*Network, error) {
	return m.st().load(name)
}

// List returns every network, sorted by name.
func (m *Manager) List() ([]*Network, error) {
	return m.st().list()
}

// Remove deletes a network that has no endpoints: its rules, its bridge
// and its record, and the nftables table once no rule is left in it (the
// table is the host's, shared by every stack root).
func (m *Manager) Remove(name string) error {
	return m.st().locked(func() error {
		n, err := m.st().load(name)
		if err != nil {
			return err
		}
		if len(n.Endpoints) > 0 {
			return fmt.Errorf("network %q: %w (%d containers attached)", name, ErrInUse, len(n.Endpoints))
		}
		// Containers stopped just before (as by down) released their
		// veths to namespaces the kernel may not have torn down yet:
		// nothing of the network outlives its removal. The kernel takes
		// tens of milliseconds to delete a link (RCU grace periods), and
		// one request deletes the bridge and those veths, which share its
		// link group; the rules and the table go meanwhile. The links are
		// listed before the bridge goes: its deletion would interrupt the
		// dump.
		links, listErr := linkList()
		group := linkGroup(n.ID)
		batch := listErr == nil && groupIsNetworks(links, n.Bridge, group)
		linkErr := make(chan error, 1)
		go func() {
			if batch {
				linkErr <- deleteGroup(group)
			} else {
				linkErr <- deleteLink(n.Bridge)
			}
		}()
		if listErr == nil {
			if batch {
				links = slices.DeleteFunc(links, func(l netlink.Link) bool { return l.Attrs().Group == group })
			}
			m.dropReleased(links)
		}
		rulesErr := m.delNetworkRules(n)
		tableErr := m.deleteTableIfEmpty()
		if err := errors.Join(rulesErr, <-linkErr); err != nil {
			return fmt.Errorf("network %q: %w", name, err)
		}
		if err := m.st().remove(name); err != nil {
			return err
		}
		return tableErr
	})
}

// Prune removes every network without endpoints whose labels include all
// of match, and reports the names removed. It also sweeps what removed
// stack roots left on the host.
func (m *Manager) Prune(match map[string]string) ([]string, error) {
	m.sweep()
	nets, err := m.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, n := range nets {
		if len(n.Endpoints) > 0 || !HasLabels(n.Labels, match) {
			continue
		}
		if err := m.Remove(n.Name); err != nil {
			if !errors.Is(err, ErrInUse) {
				errs = append(errs, err)
			}
			continue
		}
		removed = append(removed, n.Name)
	}
	return removed, errors.Join(errs...)
}

// HasLabels reports whether labels include every key of match, with the
// same value where match gives one.
func HasLabels(labels, match map[string]string) bool {
	for k, v := range match {
		if got, ok := labels[k]; !ok || (v != "" && got != v) {
			return false
		}
	}
	return true
}
