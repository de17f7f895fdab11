package network

import (
	"net/netip"
	"testing"
)

// An attach notes the generation its check found the network's rules in;
// a later change of the ruleset (here: the rules deleted, as a flush
// would) makes the note stale, and the next attach puts them back.
func TestRulesNoteAndRepair(t *testing.T) {
	m := testManager(t)
	sub := Subnet{Prefix: netip.MustParsePrefix("10.251.41.0/24")}
	n, err := m.Create(CreateOptions{Name: "note", Subnets: []Subnet{sub}})
	if err != nil {
		t.Fatal(err)
	}
	_, h1 := testNetns(t)
	_, h2 := testNetns(t)
	if _, err := m.Attach(AttachOptions{ContainerID: "c1", Network: "note", Interface: "eth0"}, h1); err != nil {
		t.Fatal(err)
	}
	gen, err := rulesGeneration()
	if err != nil {
		t.Skipf("nftables generation: %v", err)
	}
	// Other tests change the ruleset meanwhile; a note of the current
	// generation is what an attach in a quiet moment leaves.
	m.noteRules(gen, n)
	if !m.rulesKnown(gen, n) {
		t.Fatalf("note of generation %d not taken", gen)
	}
	if m.rulesKnown(gen+1, n) {
		t.Errorf("note of generation %d taken for generation %d", gen, gen+1)
	}
	if err := m.delNetworkRules(n); err != nil {
		t.Fatal(err)
	}
	if m.hasNetworkRules(n) {
		t.Fatal("rules still there after their deletion")
	}
	after, err := rulesGeneration()
	if err != nil {
		t.Fatal(err)
	}
	if after == gen || m.rulesKnown(after, n) {
		t.Fatalf("generation %d after a change of generation %d: note still taken", after, gen)
	}
	if _, err := m.Attach(AttachOptions{ContainerID: "c2", Network: "note", Interface: "eth0"}, h2); err != nil {
		t.Fatal(err)
	}
	if !m.hasNetworkRules(n) {
		t.Error("attach after the rules' deletion did not put them back")
	}
}
