package network

import (
	"net/netip"
	"testing"
)

func TestInterfaceMAC(t *testing.T) {
	tests := []struct {
		asked string
		addrs []string
		want  string
	}{
		{"", []string{"10.89.4.2/24"}, "02:42:0a:59:04:02"},
		{"", []string{"fd00::2/64", "172.18.0.3/16"}, "02:42:ac:12:00:03"},
		{"", []string{"fd00::2/64"}, ""}, // the kernel chooses
		{"", nil, ""},
		{"02:00:00:00:00:07", []string{"10.89.4.2/24"}, "02:00:00:00:00:07"},
	}
	for _, tt := range tests {
		var addrs []netip.Prefix
		for _, a := range tt.addrs {
			addrs = append(addrs, netip.MustParsePrefix(a))
		}
		mac, err := interfaceMAC(tt.asked, addrs)
		if err != nil {
			t.Fatalf("interfaceMAC(%q, %v): %v", tt.asked, tt.addrs, err)
		}
		got := ""
		if mac != nil {
			got = mac.String()
		}
		if got != tt.want {
			t.Errorf("interfaceMAC(%q, %v) = %q, want %q", tt.asked, tt.addrs, got, tt.want)
		}
	}
	if _, err := interfaceMAC("not-a-mac", nil); err == nil {
		t.Error("interfaceMAC accepted a malformed address")
	}
}
