package network

import (
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/vishvananda/netns"
)

// TestForwardDropPolicyWarns runs in a fresh network namespace, where a
// drop policy on forwarded packets harms nobody else.
func TestForwardDropPolicyWarns(t *testing.T) {
	needRoot(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	origin, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer origin.Close()
	fresh, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		netns.Set(origin)
		fresh.Close()
	}()

	c, err := nftables.New()
	if err != nil {
		t.Skipf("nf_tables: %v", err)
	}
	drop := nftables.ChainPolicyDrop
	filter := c.AddTable(&nftables.Table{Name: "filter", Family: nftables.TableFamilyIPv4})
	c.AddChain(&nftables.Chain{Name: "FORWARD", Table: filter, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &drop})
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}

	m := NewManager(t.TempDir())
	var warnings []string
	m.Warn = func(msg string) { warnings = append(warnings, msg) }
	if _, err := m.Create(CreateOptions{Name: "n", Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.70.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(warnings, "\n")
	if !strings.Contains(got, "FORWARD") || !strings.Contains(got, "iptables -I FORWARD -i stk-+ -j ACCEPT") {
		t.Errorf("warnings: %q, want the FORWARD drop policy and what to do", got)
	}
	if _, err := m.Create(CreateOptions{Name: "sealed", Internal: true, Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.71.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 {
		t.Errorf("an internal network warned about forwarding: %q", warnings)
	}
}
