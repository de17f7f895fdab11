package network

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The helpers below build the few nftables matches stack needs; each
// loads into register 1 and compares.

func ifname(name string) []byte {
	b := make([]byte, 16)
	copy(b, name)
	return b
}

func cmpOp(neq bool) expr.CmpOp {
	if neq {
		return expr.CmpOpNeq
	}
	return expr.CmpOpEq
}

func matchIfname(key expr.MetaKey, name string, neq bool) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: cmpOp(neq), Register: 1, Data: ifname(name)},
	}
}

func matchOif(name string, neq bool) []expr.Any { return matchIfname(expr.MetaKeyOIFNAME, name, neq) }
func matchIif(name string, neq bool) []expr.Any { return matchIfname(expr.MetaKeyIIFNAME, name, neq) }

func matchFamily(a netip.Addr) []expr.Any {
	proto := byte(unix.NFPROTO_IPV4)
	if a.Is6() {
		proto = unix.NFPROTO_IPV6
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
	}
}

// addrOffset is where the source (or destination) address sits in the
// IPv4 or IPv6 header.
func addrOffset(a netip.Addr, dst bool) uint32 {
	switch {
	case a.Is4() && dst:
		return 16
	case a.Is4():
		return 12
	case dst:
		return 24
	default:
		return 8
	}
}

func matchPrefix(p netip.Prefix, dst bool) []expr.Any {
	a := p.Masked().Addr()
	n := uint32(a.BitLen() / 8)
	mask := ipNet(p).Mask
	out := append(matchFamily(a),
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: addrOffset(a, dst), Len: n},
	)
	if p.Bits() < a.BitLen() {
		out = append(out, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: n, Mask: mask, Xor: make([]byte, n)})
	}
	return append(out, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a.AsSlice()})
}

func matchAddr(a netip.Addr, dst bool) []expr.Any {
	return matchPrefix(netip.PrefixFrom(a, a.BitLen()), dst)
}

// matchAddrNot matches packets whose source (or destination) is not a.
func matchAddrNot(a netip.Addr, dst bool) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: addrOffset(a, dst), Len: uint32(a.BitLen() / 8)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: a.AsSlice()},
	}
}

// matchLocalDst matches packets addressed to any address of this host.
func matchLocalDst() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
}

func matchPort(proto string, port uint16) []expr.Any {
	l4 := byte(unix.IPPROTO_TCP)
	if proto == "udp" {
		l4 = unix.IPPROTO_UDP
	}
	p := make([]byte, 2)
	binary.BigEndian.PutUint16(p, port)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{l4}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p},
	}
}

func dnatTo(a netip.Addr, port uint16) []expr.Any {
	family := uint32(unix.NFPROTO_IPV4)
	if a.Is6() {
		family = unix.NFPROTO_IPV6
	}
	p := make([]byte, 2)
	binary.BigEndian.PutUint16(p, port)
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: a.AsSlice()},
		&expr.Immediate{Register: 2, Data: p},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: family, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}
}

func concat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// ipsDstNAT is IPS_DST_NAT of the conntrack status bits.
const ipsDstNAT = 1 << 5

// matchDNATed matches packets of connections whose destination was
// rewritten, such as a published port.
func matchDNATed() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(ipsDstNAT), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
	}
}
