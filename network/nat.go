package network

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The table stack owns (inet family) has five base chains: NAT for
// published ports on prerouting and output, masquerade on postrouting, a
// forward filter that isolates internal networks, and a guard before
// routing that keeps containers away from the host's loopback. Rules carry user data
// naming their owner ("net:<id>" or "port:<container>") so that each owner
// removes exactly its own.

func (m *Manager) table() *nftables.Table {
	return &nftables.Table{Name: m.Table, Family: nftables.TableFamilyINet}
}

type chains struct {
	prerouting, output, postrouting, forward, guard *nftables.Chain
}

func (m *Manager) chains(t *nftables.Table) chains {
	accept := nftables.ChainPolicyAccept
	return chains{
		prerouting:  &nftables.Chain{Name: "prerouting", Table: t, Type: nftables.ChainTypeNAT, Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityNATDest},
		output:      &nftables.Chain{Name: "output", Table: t, Type: nftables.ChainTypeNAT, Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest},
		postrouting: &nftables.Chain{Name: "postrouting", Table: t, Type: nftables.ChainTypeNAT, Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource},
		forward:     &nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept},
		guard:       &nftables.Chain{Name: "guard", Table: t, Type: nftables.ChainTypeFilter, Hooknum: nftables.ChainHookPrerouting, Priority: nftables.ChainPriorityRaw, Policy: &accept},
	}
}

// conn opens nf_tables and makes sure stack's table and chains exist.
func (m *Manager) conn() (*nftables.Conn, chains, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, chains{}, fmt.Errorf("%w: %v", ErrNoNFTables, err)
	}
	ch := m.addChains(c)
	if err := c.Flush(); err != nil {
		return nil, chains{}, fmt.Errorf("%w: %v", ErrNoNFTables, err)
	}
	return c, ch, nil
}

// addChains queues the creation of stack's table and chains, which keeps
// them as they are where they exist.
func (m *Manager) addChains(c *nftables.Conn) chains {
	t := c.AddTable(m.table())
	ch := m.chains(t)
	c.AddChain(ch.prerouting)
	c.AddChain(ch.output)
	c.AddChain(ch.postrouting)
	c.AddChain(ch.forward)
	c.AddChain(ch.guard)
	return ch
}

func netTag(n *Network) []byte { return []byte("net:" + n.ID) }

// portTag names the container and the host end of the veth its ports are
// forwarded through, so that sweepRules can tell rules of a container that
// is gone; rules made before the veth was in the tag have only the ID.
func portTag(containerID, veth string) []byte {
	if veth == "" {
		return []byte("port:" + containerID)
	}
	return []byte("port:" + containerID + "@" + veth)
}

// portTagOf matches the port rules of containerID, with or without veth.
func portTagOf(containerID string) func([]byte) bool {
	plain := portTag(containerID, "")
	return func(tag []byte) bool {
		rest, ok := bytes.CutPrefix(tag, plain)
		return ok && (len(rest) == 0 || rest[0] == '@')
	}
}

// tagIs matches one tag exactly.
func tagIs(tag []byte) func([]byte) bool {
	return func(t []byte) bool { return bytes.Equal(t, tag) }
}

// addNetworkRules installs masquerade (or isolation, for internal
// networks) for n. Without nf_tables it warns and carries on: containers
// then talk to each other but not to the outside. A fresh network's rules
// go in one batch with the table and chains; otherwise the network's old
// rules, if any, are replaced.
func (m *Manager) addNetworkRules(n *Network, fresh bool) error {
	if fresh {
		c, err := nftables.New()
		if err == nil {
			m.queueNetworkRules(c, m.addChains(c), n)
			if err = c.Flush(); err == nil {
				return m.networkRulesAdded(n)
			}
		}
		// Tell a missing nf_tables from a refused rule the slow way.
	}
	c, ch, err := m.conn()
	if err != nil {
		m.warn("%v: containers on network %q get no egress and published ports use the userland proxy only", err, n.Name)
		return nil
	}
	if err := m.delTagged(c, []*nftables.Chain{ch.postrouting, ch.forward, ch.guard}, tagIs(netTag(n))); err != nil {
		return err
	}
	m.queueNetworkRules(c, ch, n)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables rules for network %q: %w", n.Name, err)
	}
	return m.networkRulesAdded(n)
}

func (m *Manager) networkRulesAdded(n *Network) error {
	_ = sysctl("net/ipv4/conf/"+n.Bridge+"/route_localnet", "1")
	if !n.Internal {
		m.checkForwardPolicy()
	}
	return nil
}

// queueNetworkRules queues n's rules on c.
func (m *Manager) queueNetworkRules(c *nftables.Conn, ch chains, n *Network) {
	tag := netTag(n)
	add := func(chain *nftables.Chain, e []expr.Any) {
		c.AddRule(&nftables.Rule{Table: chain.Table, Chain: chain, Exprs: e, UserData: tag})
	}
	// Published ports on 127.0.0.1 are DNAT'ed in output and leave
	// through the bridge with a loopback source, which needs a
	// masquerade to get an answer.
	add(ch.postrouting, concat(matchOif(n.Bridge, false), matchPrefix(netip.MustParsePrefix("127.0.0.0/8"), false), []expr.Any{&expr.Masq{}}))
	// route_localnet, which that needs, would also let a container send
	// to the host's 127.0.0.1 services through the bridge: refuse
	// loopback destinations arriving from it.
	add(ch.guard, concat(matchIif(n.Bridge, false), matchPrefix(netip.MustParsePrefix("127.0.0.0/8"), true), []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}))
	// A container reaching a published port through the host's address
	// is sent back onto its own bridge; without a masquerade the answer
	// would come straight from the other container and be dropped.
	add(ch.postrouting, concat(matchIif(n.Bridge, false), matchOif(n.Bridge, false), matchDNATed(), []expr.Any{&expr.Masq{}}))
	for _, s := range n.Subnets {
		if n.Internal {
			add(ch.forward, concat(matchIif(n.Bridge, false), matchOif(n.Bridge, true), []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}))
			add(ch.forward, concat(matchOif(n.Bridge, false), matchIif(n.Bridge, true), []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}))
			break
		}
		add(ch.postrouting, concat(matchPrefix(s.Prefix, false), matchOif(n.Bridge, true), []expr.Any{&expr.Masq{}}))
	}
}

func (m *Manager) delNetworkRules(n *Network) error {
	c, err := nftables.New()
	if err != nil {
		return nil
	}
	if !m.tableExists(c) {
		return nil
	}
	ch := m.chains(m.table())
	return m.delTagged(c, []*nftables.Chain{ch.postrouting, ch.forward, ch.guard}, tagIs(netTag(n)))
}

func (m *Manager) tableExists(c *nftables.Conn) bool {
	_, err := c.ListTableOfFamily(m.Table, nftables.TableFamilyINet)
	return err == nil
}

// delTagged removes the rules of chains whose user data match accepts.
func (m *Manager) delTagged(c *nftables.Conn, list []*nftables.Chain, match func([]byte) bool) error {
	n := 0
	for _, chain := range list {
		rules, err := c.GetRules(chain.Table, chain)
		if err != nil {
			continue
		}
		for _, r := range rules {
			if match(r.UserData) {
				if err := c.DelRule(r); err != nil {
					return err
				}
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("remove nftables rules: %w", err)
	}
	return nil
}

// deleteTableIfEmpty drops stack's table when no network or published
// port has a rule left in it.
func (m *Manager) deleteTableIfEmpty() error {
	c, err := nftables.New()
	if err != nil || !m.tableExists(c) {
		return nil
	}
	ch := m.chains(m.table())
	for _, chain := range []*nftables.Chain{ch.prerouting, ch.output, ch.postrouting, ch.forward, ch.guard} {
		rules, err := c.GetRules(chain.Table, chain)
		if err != nil || len(rules) > 0 {
			return nil
		}
	}
	return m.deleteTable()
}

// hasNetworkRules reports whether n's rules are in place; the host's
// ruleset may have been flushed behind stack's back. It runs on every
// attach, so it is one request: a missing table fails the dump.
func (m *Manager) hasNetworkRules(n *Network) bool {
	c, err := nftables.New()
	if err != nil {
		return true // nothing to repair without nf_tables
	}
	rules, err := c.GetRules(m.table(), m.chains(m.table()).postrouting)
	if err != nil {
		return false
	}
	for _, r := range rules {
		if bytes.Equal(r.UserData, netTag(n)) {
			return true
		}
	}
	return false
}

// deleteTable drops stack's table.
func (m *Manager) deleteTable() error {
	c, err := nftables.New()
	if err != nil || !m.tableExists(c) {
		return nil
	}
	c.DelTable(m.table())
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove nftables table %s: %w", m.Table, err)
	}
	return nil
}

// checkForwardPolicy warns when another table drops forwarded packets by
// default, as Docker's iptables rules do: a drop in any base chain is
// final, so stack's own accept cannot let container traffic through.
func (m *Manager) checkForwardPolicy() {
	c, err := nftables.New()
	if err != nil {
		return
	}
	list, err := c.ListChains()
	if err != nil {
		return
	}
	for _, ch := range list {
		if ch.Table == nil || ch.Table.Name == m.Table || ch.Hooknum == nil || *ch.Hooknum != *nftables.ChainHookForward {
			continue
		}
		if ch.Policy != nil && *ch.Policy == nftables.ChainPolicyDrop {
			m.warn("%s", forwardDropAdvice(ch))
			return
		}
	}
}

func forwardDropAdvice(ch *nftables.Chain) string {
	where := fmt.Sprintf("chain %s in table %s", ch.Name, ch.Table.Name)
	advice := "allow stack's bridges with: nft insert rule ip filter FORWARD iifname \"stk-*\" accept; nft insert rule ip filter FORWARD oifname \"stk-*\" accept"
	if strings.EqualFold(ch.Table.Name, "filter") && ch.Name == "FORWARD" {
		advice = "this is Docker's FORWARD drop policy; allow stack's bridges with: iptables -I FORWARD -i stk-+ -j ACCEPT && iptables -I FORWARD -o stk-+ -j ACCEPT"
	}
	return fmt.Sprintf("forwarded packets are dropped by default (%s), so containers cannot reach the outside; %s", where, advice)
}
