package network

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strings"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Networks live as long as their records (the default network too, as
// Docker's docker0), so a root that is thrown away with `rm -rf`, as tests
// and benchmarks do, would leave its bridges, their subnets and their rules
// on the host for good. Each bridge therefore carries in its alias the path
// of its record, and sweep removes bridges whose record is gone and rules
// whose bridge is gone. Both checks are free of races with other stack
// processes because a record is written before its bridge and removed after
// it, and a bridge is made before its rules and deleted after them.

// aliasPrefix marks the alias of a bridge stack made.
const aliasPrefix = "stack:"

// maxAlias is the kernel's limit on an interface alias (IFALIASZ, with
// its terminating zero).
const maxAlias = 255

// bridgeAlias names n's record; a path too long for an alias leaves the
// bridge without one, and sweep never removes it.
func (m *Manager) bridgeAlias(n *Network) string {
	path, err := filepath.Abs(m.st().path(n.Name))
	if err != nil || len(aliasPrefix)+len(path) > maxAlias {
		return ""
	}
	return aliasPrefix + path
}

// sweep removes leftovers of discarded roots. It only logs what it cannot
// remove: nothing of a live network depends on it.
func (m *Manager) sweep() {
	links, err := linkList()
	if err != nil {
		return
	}
	m.dropReleased(links)
	for _, br := range staleBridges(links) {
		if err := deleteLink(br); err != nil {
			m.warn("remove bridge %s of a removed stack root: %v", br, err)
		}
	}
	if err := m.sweepRules(); err != nil {
		m.warn("remove rules of removed networks: %v", err)
	}
}

// dropReleased deletes released veths whose container namespace is not
// gone yet: it is on its way out, or something keeps it alive. A veth is
// made on its bridge and up, so one that is neither was released. It goes
// by index: a new attach of the same container may have made another link
// of that name since the listing.
func (m *Manager) dropReleased(links []netlink.Link) {
	for _, l := range links {
		a := l.Attrs()
		if _, ok := l.(*netlink.Veth); ok && strings.HasPrefix(a.Name, "stv") && a.MasterIndex == 0 && a.Flags&net.FlagUp == 0 {
			if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
				m.warn("remove released veth %s: %v", a.Name, err)
			}
		}
	}
}

// staleBridges are the bridges stack made whose record is gone (or names
// another bridge) and that no container uses any more.
func staleBridges(links []netlink.Link) []string {
	ports := map[int]bool{}
	for _, l := range links {
		if l.Attrs().MasterIndex > 0 {
			ports[l.Attrs().MasterIndex] = true
		}
	}
	var out []string
	for _, l := range links {
		a := l.Attrs()
		path, ok := strings.CutPrefix(a.Alias, aliasPrefix)
		if _, isBridge := l.(*netlink.Bridge); !ok || !isBridge || !strings.HasPrefix(a.Name, "stk-") || ports[a.Index] {
			continue
		}
		if recordNames(path, a.Name) {
			continue
		}
		out = append(out, a.Name)
	}
	return out
}

// recordNames reports whether the record at path still owns bridge; a
// record that cannot be read for another reason than its absence is taken
// to own it.
func recordNames(path, bridge string) bool {
	n, err := readRecord(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		return true
	}
	return n.Bridge == bridge
}

// sweepRules removes the rules of m's table whose bridge no longer exists,
// and the port rules whose container's veth is gone or released. The links
// are looked up after the rules are listed: a rule seen then was made after
// its link, and a container's port rules go before its veth is released,
// so a missing link is one that was removed, not one about to be made.
func (m *Manager) sweepRules() error {
	c, err := nftables.New()
	if err != nil || !m.tableExists(c) {
		return nil
	}
	ch := m.chains(m.table())
	live := map[string]bool{}
	gone := func(name string, plugged bool) bool {
		key := fmt.Sprint(name, plugged)
		if ok, seen := live[key]; seen {
			return !ok
		}
		link, err := netlink.LinkByName(name)
		ok := err == nil && (!plugged || link.Attrs().MasterIndex != 0)
		var notFound netlink.LinkNotFoundError
		if err != nil && !errors.As(err, &notFound) {
			ok = true // cannot tell: keep
		}
		live[key] = ok
		return !ok
	}
	n := 0
	for _, chain := range []*nftables.Chain{ch.prerouting, ch.output, ch.postrouting, ch.forward, ch.guard} {
		rules, err := c.GetRules(chain.Table, chain)
		if err != nil {
			continue
		}
		for _, r := range rules {
			stale := false
			if id, ok := bytes.CutPrefix(r.UserData, []byte("net:")); ok && len(id) >= 11 {
				stale = gone(bridgeName(string(id)), false)
			} else if port, ok := bytes.CutPrefix(r.UserData, []byte("port:")); ok {
				if _, veth, ok := bytes.Cut(port, []byte("@")); ok && len(veth) > 0 {
					stale = gone(string(veth), true)
				}
			}
			if stale {
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
	// A rule removed meanwhile by its owner fails the batch: the next
	// sweep takes the rest.
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}
