package network

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// testManager returns a Manager with its own records, nftables table and
// address pool (10.251.0.0/16, which no other package's tests use), and
// removes whatever it made when the test ends, even after a failure.
func testManager(t *testing.T) *Manager {
	t.Helper()
	needRoot(t)
	m := NewManager(t.TempDir())
	m.Table = "stktest_" + randHex(4)
	m.Pools = []Pool{{Base: netip.MustParsePrefix("10.251.0.0/16"), Size: 24}}
	m.Pools6 = []Pool{{Base: netip.MustParsePrefix("fd5c:251::/48"), Size: 64}}
	m.Warn = func(msg string) { t.Log("warning:", msg) }
	t.Cleanup(func() {
		nets, _ := m.List()
		for _, n := range nets {
			deleteLink(n.Bridge)
			for id := range n.Endpoints {
				deleteLink(hostVethName(id, n.ID))
			}
		}
		m.deleteTable()
	})
	return m
}

// testNetns makes a named network namespace standing in for a container.
func testNetns(t *testing.T) (string, netns.NsHandle) {
	t.Helper()
	name := "stktest-" + randHex(4)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	origin, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer origin.Close()
	h, err := netns.NewNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := netns.Set(origin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.Close()
		netns.DeleteNamed(name)
	})
	return name, h
}

func inNetns(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("in %s: %v: %v\n%s", ns, args, err, out)
	}
	return string(out)
}

func linkExists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

func tableExists(t *testing.T, name string) bool {
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListTableOfFamily(name, nftables.TableFamilyINet)
	return err == nil
}

func nftList(t *testing.T, table string) string {
	t.Helper()
	out, err := exec.Command("nft", "list", "table", "inet", table).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v\n%s", err, out)
	}
	return string(out)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
