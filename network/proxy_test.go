package network

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestUDPProxyForgetsIdleFlows(t *testing.T) {
	old := UDPIdleTimeout
	UDPIdleTimeout = 200 * time.Millisecond
	t.Cleanup(func() { UDPIdleTimeout = old })
	backend, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	go func() {
		buf := make([]byte, 100)
		for {
			n, from, err := backend.ReadFrom(buf)
			if err != nil {
				return
			}
			backend.WriteTo(buf[:n], from)
		}
	}()
	front, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &udpProxy{pc: front, target: backend.LocalAddr().(*net.UDPAddr), flows: map[string]*udpFlow{}}
	go p.serve()
	defer p.close()
	roundTripUDP(t, front.LocalAddr().String())
	flows := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.flows)
	}
	if n := flows(); n != 1 {
		t.Fatalf("flows after one exchange: %d, want 1", n)
	}
	for deadline := time.Now().Add(5 * time.Second); flows() != 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if n := flows(); n != 0 {
		t.Errorf("flows after the idle timeout: %d, want 0", n)
	}
	roundTripUDP(t, front.LocalAddr().String()) // a new flow starts
}

func TestTCPProxyHalfClose(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	go acceptEcho(backend)
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: front, target: backend.Addr().String(), conns: map[net.Conn]bool{}}
	go p.serve()
	defer p.close()
	roundTripTCP(t, front.Addr().String())
}

// acceptEcho answers each connection, once the client has half-closed,
// with what it sent, upper-cased.
func acceptEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			data, _ := io.ReadAll(c)
			c.Write([]byte(strings.ToUpper(string(data))))
		}()
	}
}
