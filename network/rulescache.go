package network

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The rules of a network are checked at every attach, for a flush of the
// host's ruleset (a firewall reload, a reboot) must not leave containers
// without NAT; but the dump of a chain that check costs, parsed rule by
// rule, is most of the CPU time of an attach. The kernel numbers every
// version of the ruleset: a change of any table, by anyone, makes a new
// generation. So a check that found a network's rules notes the
// generation it started at, and while the ruleset is still that
// generation, the rules are still there. The note names the boot, since
// numbering starts again with it.

func (m *Manager) rulesNotePath() string { return filepath.Join(m.Dir, ".rules-checked") }

// rulesNote is what the note says: the boot and generation, and the IDs
// of the networks whose rules were found then.
type rulesNote struct {
	boot string
	gen  uint32
	ids  []string
}

func (m *Manager) readRulesNote() (rulesNote, bool) {
	data, err := os.ReadFile(m.rulesNotePath())
	if err != nil {
		return rulesNote{}, false
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return rulesNote{}, false
	}
	gen, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		return rulesNote{}, false
	}
	return rulesNote{boot: f[0], gen: uint32(gen), ids: f[2:]}, true
}

// rulesKnown reports whether n's rules were found in generation gen of
// the ruleset, the current one.
func (m *Manager) rulesKnown(gen uint32, n *Network) bool {
	note, ok := m.readRulesNote()
	return ok && note.gen == gen && slices.Contains(note.ids, n.ID) && note.boot == bootID()
}

// noteRules records that n's rules were found in generation gen. Notes
// of concurrent attaches may overwrite each other: one lost costs a check.
func (m *Manager) noteRules(gen uint32, n *Network) {
	boot := bootID()
	if boot == "" {
		return
	}
	note, ok := m.readRulesNote()
	if !ok || note.boot != boot || note.gen != gen {
		note = rulesNote{boot: boot, gen: gen}
	}
	if slices.Contains(note.ids, n.ID) {
		return
	}
	note.ids = append(note.ids, n.ID)
	line := boot + " " + strconv.FormatUint(uint64(gen), 10) + " " + strings.Join(note.ids, " ") + "\n"
	_ = writeFileAtomic(m.rulesNotePath(), []byte(line), false)
}

func bootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(data))
}

// rulesGeneration asks the kernel for the generation of the nftables
// ruleset of the caller's network namespace.
func rulesGeneration() (uint32, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	// struct nlmsghdr, then struct nfgenmsg: family, version, resource id.
	req := make([]byte, unix.NLMSG_HDRLEN+4)
	ne := nl.NativeEndian()
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_GETGEN)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(req[8:], 1)
	req[unix.NLMSG_HDRLEN] = unix.AF_UNSPEC
	req[unix.NLMSG_HDRLEN+1] = unix.NFNETLINK_V0
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return 0, err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return 0, err
	}
	for _, msg := range msgs {
		switch msg.Header.Type {
		case unix.NLMSG_ERROR:
			if len(msg.Data) >= 4 {
				if code := int32(ne.Uint32(msg.Data[:4])); code != 0 {
					return 0, syscall.Errno(-code)
				}
			}
		case unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWGEN:
			if len(msg.Data) < 4 {
				break
			}
			attrs, err := nl.ParseRouteAttr(msg.Data[4:])
			if err != nil {
				return 0, err
			}
			for _, a := range attrs {
				if a.Attr.Type&^unix.NLA_F_NESTED == unix.NFTA_GEN_ID && len(a.Value) >= 4 {
					return binary.BigEndian.Uint32(a.Value), nil
				}
			}
		}
	}
	return 0, errors.New("nftables: no generation in the answer")
}
