package network

import (
	"net"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// The net package probes IPv6 support once, with the first wildcard
	// listen, on whatever thread makes it. Tests make sockets inside
	// namespaces whose lo is down; the probe must not happen there, or
	// every later ":port" listener would be IPv4 only.
	if ln, err := net.Listen("tcp", ":0"); err == nil {
		ln.Close()
	}
	os.Exit(m.Run())
}
