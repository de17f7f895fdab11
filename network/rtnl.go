package network

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// rtnl is one rtnetlink socket, in the host's network namespace or a
// container's. A container's interface is made and configured with a few
// requests on two such sockets, several messages to one write: the kernel
// handles a message to rtnetlink within the write itself, in order, so a
// batch costs one system call and one reply read, and the whole attach
// stays off the CPU the container's init needs at the same time.
type rtnl struct {
	s *nl.NetlinkSocket
}

// openRtnl opens a socket in ns; netns.None() is the caller's namespace.
func openRtnl(ns netns.NsHandle) (*rtnl, error) {
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	return &rtnl{s: s}, nil
}

func (r *rtnl) close() { r.s.Close() }

// index is the interface index of name in the socket's namespace; a
// missing interface yields unix.ENODEV. The ioctl answers from the
// kernel's name table, without the full link message a netlink query
// builds and parses.
func (r *rtnl) index(name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(r.s.GetFd(), unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}

// hardwareAddr is the MAC address of name in the socket's namespace.
func (r *rtnl) hardwareAddr(name string) (net.HardwareAddr, error) {
	// struct ifreq with a struct sockaddr: a family, then the address.
	var ifr struct {
		name   [unix.IFNAMSIZ]byte
		family uint16
		addr   [22]byte
	}
	if len(name) >= unix.IFNAMSIZ {
		return nil, unix.EINVAL
	}
	copy(ifr.name[:], name)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(r.s.GetFd()), unix.SIOCGIFHWADDR, uintptr(unsafe.Pointer(&ifr))); errno != 0 {
		return nil, errno
	}
	return net.HardwareAddr(append([]byte(nil), ifr.addr[:6]...)), nil
}

// exec sends reqs in one write and waits for every acknowledgement. The
// kernel goes on after a failed message, so each error is reported, the
// first one first.
func (r *rtnl) exec(reqs ...*nl.NetlinkRequest) error {
	var buf []byte
	pending := map[uint32]int{}
	for i, req := range reqs {
		req.Flags |= unix.NLM_F_REQUEST | unix.NLM_F_ACK
		pending[req.Seq] = i
		buf = append(buf, req.Serialize()...)
	}
	if err := unix.Sendto(r.s.GetFd(), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	errs := make([]error, len(reqs))
	// Acknowledgements are small; the kernel queued them all before the
	// write returned, so the read waits only if it was interrupted.
	buf = make([]byte, 8192)
	for len(pending) > 0 {
		n, _, err := unix.Recvfrom(r.s.GetFd(), buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			fds := []unix.PollFd{{Fd: int32(r.s.GetFd()), Events: unix.POLLIN}}
			ready, err := unix.Poll(fds, 5000)
			if err != nil && !errors.Is(err, unix.EINTR) {
				return err
			}
			if err == nil && ready == 0 {
				return errors.New("no netlink acknowledgement within 5s")
			}
			continue
		}
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			i, ok := pending[m.Header.Seq]
			if !ok || m.Header.Type != unix.NLMSG_ERROR {
				continue
			}
			delete(pending, m.Header.Seq)
			if len(m.Data) < 4 {
				errs[i] = errors.New("short netlink acknowledgement")
				continue
			}
			if code := int32(nl.NativeEndian().Uint32(m.Data[:4])); code != 0 {
				errs[i] = syscall.Errno(-code)
			}
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// vethRequest makes a veth pair in one message: host, up and on the
// bridge brIndex, and its peer, down, in target under peerName with mac
// (nil lets the kernel choose). The peer cannot come up in the same
// message: veth refuses to open an end whose peer is not linked yet.
// The host end is in the link group group (0: the default), as its
// bridge is, so that removing the network deletes both in one request.
func vethRequest(host string, mtu, brIndex int, group uint32, peerName string, mac net.HardwareAddr, target netns.NsHandle) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(host)))
	if mtu > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(mtu))))
	}
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(brIndex))))
	if group != 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(group)))
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(peerName))
	// No queue in the container, as Docker's containers have.
	peer.AddRtAttr(unix.IFLA_TXQLEN, nl.Uint32Attr(0))
	if mtu > 0 {
		peer.AddRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(mtu)))
	}
	if mac != nil {
		peer.AddRtAttr(unix.IFLA_ADDRESS, []byte(mac))
	}
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(target)))
	req.AddData(info)
	return req
}

// setLinkRequest changes the link index (or, with index 0, the link
// named name): up or down, and, with a non-empty rename, its name.
func setLinkRequest(index int, name string, up bool, rename string) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, 0)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	msg.Change = unix.IFF_UP
	if up {
		msg.Flags = unix.IFF_UP
	}
	req.AddData(msg)
	if index == 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	}
	if rename != "" {
		req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(rename)))
	}
	return req
}

// unplugRequest takes the link named name off its bridge and down.
func unplugRequest(name string) *nl.NetlinkRequest {
	req := setLinkRequest(0, name, false, "")
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(0)))
	return req
}

// addrRequest puts p on the link index; IPv6 addresses skip duplicate
// address detection, which would hold them back for a second or more.
func addrRequest(index int, p netip.Prefix) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	family := unix.AF_INET
	if p.Addr().Is6() {
		family = unix.AF_INET6
	}
	msg := nl.NewIfAddrmsg(family)
	msg.Index = uint32(index)
	msg.Prefixlen = uint8(p.Bits())
	if p.Addr().Is6() {
		msg.Flags = unix.IFA_F_NODAD
	}
	req.AddData(msg)
	local := p.Addr().AsSlice()
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, local))
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, local))
	if p.Addr().Is4() && p.Bits() < 31 {
		bcast := make(net.IP, 4)
		mask := net.CIDRMask(p.Bits(), 32)
		for i := range bcast {
			bcast[i] = local[i] | ^mask[i]
		}
		req.AddData(nl.NewRtAttr(unix.IFA_BROADCAST, bcast))
	}
	return req
}

// defaultRouteRequest routes everything of gw's family through gw on the
// link index, replacing a default route there is.
func defaultRouteRequest(index int, gw netip.Addr) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE)
	msg := nl.NewRtMsg()
	msg.Family = unix.AF_INET
	if gw.Is6() {
		msg.Family = unix.AF_INET6
	}
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.RTA_GATEWAY, gw.AsSlice()))
	req.AddData(nl.NewRtAttr(unix.RTA_OIF, nl.Uint32Attr(uint32(index))))
	return req
}

// loopbackIndex is lo's index in every network namespace.
const loopbackIndex = 1

// deleteGroupRequest deletes every link of the link group group in one
// request: the kernel then waits for one set of grace periods for them
// all, where a request per link waits for one each.
func deleteGroupRequest(group uint32) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_DELLINK, 0)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(group)))
	return req
}
