package network

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAllocate(t *testing.T) {
	sub := Subnet{Prefix: netip.MustParsePrefix("10.1.0.0/29"), Gateway: netip.MustParseAddr("10.1.0.1")}
	used := map[netip.Addr]bool{}
	var got []string
	for {
		a, err := allocate(sub, used)
		if errors.Is(err, ErrExhausted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		used[a] = true
		got = append(got, a.String())
	}
	want := []string{"10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestAllocateIPRangeAndV6(t *testing.T) {
	tests := []struct {
		name string
		sub  Subnet
		want string
	}{
		{"range", Subnet{Prefix: netip.MustParsePrefix("10.2.0.0/16"), Gateway: netip.MustParseAddr("10.2.0.1"), IPRange: netip.MustParsePrefix("10.2.5.0/24")}, "10.2.5.1"},
		{"gateway at range start", Subnet{Prefix: netip.MustParsePrefix("10.3.0.0/24"), Gateway: netip.MustParseAddr("10.3.0.128"), IPRange: netip.MustParsePrefix("10.3.0.128/25")}, "10.3.0.129"},
		{"ipv6", Subnet{Prefix: netip.MustParsePrefix("fd00:1::/64"), Gateway: netip.MustParseAddr("fd00:1::1")}, "fd00:1::2"},
	}
	for _, tt := range tests {
		got, err := allocate(tt.sub, map[netip.Addr]bool{})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.String() != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestAssign(t *testing.T) {
	n := &Network{
		Name: "n",
		Subnets: []Subnet{
			{Prefix: netip.MustParsePrefix("10.4.0.0/24"), Gateway: netip.MustParseAddr("10.4.0.1")},
			{Prefix: netip.MustParsePrefix("fd00:4::/64"), Gateway: netip.MustParseAddr("fd00:4::1")},
		},
		Endpoints: map[string]Endpoint{},
	}
	static := netip.MustParseAddr("10.4.0.9")
	a, err := assign(n, "c1", []netip.Addr{static})
	if err != nil {
		t.Fatal(err)
	}
	if a[0] != static || a[1].String() != "fd00:4::2" {
		t.Errorf("got %v, want [10.4.0.9 fd00:4::2]", a)
	}
	n.Endpoints["c1"] = Endpoint{ContainerID: "c1", Addrs: a}
	again, err := assign(n, "c1", nil)
	if err != nil || again[0] != a[0] {
		t.Errorf("reassign: got %v, %v, want the same addresses", again, err)
	}
	if _, err := assign(n, "c2", []netip.Addr{static}); !errors.Is(err, ErrAddrInUse) {
		t.Errorf("static conflict: got %v, want ErrAddrInUse", err)
	}
	bad := []netip.Addr{netip.MustParseAddr("10.4.0.1"), netip.MustParseAddr("10.9.0.1"), netip.MustParseAddr("10.4.0.255")}
	for _, b := range bad {
		if _, err := assign(n, "c3", []netip.Addr{b}); err == nil {
			t.Errorf("static %s: got no error, want one", b)
		}
	}
}

func TestChooseSubnet(t *testing.T) {
	pools := []Pool{{Base: netip.MustParsePrefix("10.89.0.0/16"), Size: 24}}
	tests := []struct {
		taken []string
		want  string
	}{
		{nil, "10.89.0.0/24"},
		{[]string{"0.0.0.0/0", "10.89.0.0/24"}, "10.89.1.0/24"},
		{[]string{"10.89.0.128/25", "10.89.1.7/32"}, "10.89.2.0/24"},
		{[]string{"10.89.0.0/17"}, "10.89.128.0/24"},
		{[]string{"10.0.0.0/8"}, ""},
	}
	for _, tt := range tests {
		var taken []netip.Prefix
		for _, s := range tt.taken {
			taken = append(taken, netip.MustParsePrefix(s))
		}
		got, err := chooseSubnet(pools, taken)
		if tt.want == "" {
			if !errors.Is(err, ErrNoFreeSubnet) {
				t.Errorf("taken %v: got %v, %v, want ErrNoFreeSubnet", tt.taken, got, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("taken %v: got %v, %v, want %s", tt.taken, got, err, tt.want)
		}
	}
}

func TestBridgeAndVethNames(t *testing.T) {
	id := newID()
	if b := bridgeName(id); len(b) > 15 {
		t.Errorf("bridge name %q is longer than 15", b)
	}
	v := hostVethName("c", id)
	if len(v) > 15 || len(peerTempName(v)) > 15 {
		t.Errorf("veth names %q/%q are longer than 15", v, peerTempName(v))
	}
	if v == hostVethName("d", id) {
		t.Errorf("two containers got the same veth name %q", v)
	}
}
