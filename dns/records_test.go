package dns

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// TestRegistryRemovesEmptyNetworkDir checks that a network's directory lives
// exactly as long as it holds records, so a removed network leaves nothing
// in the run root.
func TestRegistryRemovesEmptyNetworkDir(t *testing.T) {
	r := &Registry{Dir: t.TempDir()}
	ep := func(id string) Endpoint {
		return Endpoint{ContainerID: id, Names: []string{id}, Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}}
	}
	for _, id := range []string{"a", "b"} {
		if err := r.Put("net1", ep(id)); err != nil {
			t.Fatal(err)
		}
	}
	netDir := filepath.Join(r.Dir, "net1")
	if err := r.Remove("net1", "a"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.List("net1"); err != nil || len(got) != 1 || got[0].ContainerID != "b" {
		t.Fatalf("after removing a: List = %v, %v; want only b", got, err)
	}
	if err := r.Remove("net1", "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(netDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("network directory after its last record went: stat err = %v, want not exist", err)
	}
	// A record put after that makes the directory again.
	if err := r.Put("net1", ep("c")); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.List("net1"); len(got) != 1 {
		t.Errorf("List after a new Put = %v, want one record", got)
	}
}
