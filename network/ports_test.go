package network

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// freeRange finds n consecutive free TCP ports on 127.0.0.1 and holds
// them, one listener each, until the test ends.
func freeRange(t *testing.T, n int) (first uint16, held []net.Listener) {
	t.Helper()
	for try := 0; try < 50; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		first = uint16(ln.Addr().(*net.TCPAddr).Port)
		held = []net.Listener{ln}
		for i := 1; i < n && int(first)+i <= 65535; i++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(int(first)+i))
			if err != nil {
				break
			}
			held = append(held, l)
		}
		if len(held) == n {
			t.Cleanup(func() {
				for _, l := range held {
					l.Close()
				}
			})
			return first, held
		}
		for _, l := range held {
			l.Close()
		}
	}
	t.Fatalf("no %d consecutive free ports", n)
	return 0, nil
}

func TestBindRangeTakesFirstFreePort(t *testing.T) {
	first, held := freeRange(t, 3)
	lo := netip.MustParseAddr("127.0.0.1")
	want := PortBinding{HostIP: lo, HostPort: first, HostPortEnd: first + 2, ContainerPort: 80, Proto: "tcp"}
	held[1].Close() // the middle port is the only free one
	reserved, err := Reserve([]PortBinding{want})
	if err != nil || len(reserved) != 1 || reserved[0] != want {
		t.Fatalf("Reserve of a range: got %v, %v, want the range kept: %v", reserved, err, want)
	}
	socks, err := bind([]PortBinding{want})
	if err != nil {
		t.Fatal(err)
	}
	got := socks[0].binding
	if got.HostPort != first+1 || got.HostPortEnd != 0 {
		t.Errorf("bound %v, want port %d of the range", got, first+1)
	}
	// Every port taken: the error names the range.
	_, err = bind([]PortBinding{want})
	socks[0].Close()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("every host port of 127.0.0.1:%d-%d/tcp is already in use", first, first+2)) {
		t.Errorf("range all in use: got %v, want an error naming the range", err)
	}
	if _, err := Reserve([]PortBinding{want}); err != nil {
		t.Errorf("Reserve after the range's port was released: %v", err)
	}
}

func TestReserveConflictNamesHolder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	_, err = Reserve([]PortBinding{
		{HostIP: netip.MustParseAddr("127.0.0.1"), ContainerPort: 81, Proto: "tcp"},
		{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: port, ContainerPort: 80, Proto: "tcp"},
	})
	var inUse *PortInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("got %v, want a PortInUseError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "127.0.0.1:"+strconv.Itoa(int(port))) || !strings.Contains(msg, "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error %q does not name the port and this process as the holder", msg)
	}
	got, err := Reserve([]PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), ContainerPort: 80, Proto: "udp"}})
	if err != nil || got[0].HostPort == 0 {
		t.Errorf("random port: got %v, %v", got, err)
	}
}

// serveIn runs an echo service inside the namespace: TCP answers with
// what it read, upper-cased, once the client has half-closed; UDP echoes
// each datagram.
func serveIn(t *testing.T, ns netns.NsHandle, port int) {
	t.Helper()
	var ln net.Listener
	var pc net.PacketConn
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // the thread dies in the namespace
		if err = netns.Set(ns); err != nil {
			return
		}
		if ln, err = net.Listen("tcp", ":"+strconv.Itoa(port)); err != nil {
			return
		}
		pc, err = net.ListenPacket("udp", ":"+strconv.Itoa(port))
	}()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); pc.Close() })
	go func() {
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
	}()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], addr)
		}
	}()
}

func roundTripTCP(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("half-close works"))
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "HALF-CLOSE WORKS" {
		t.Errorf("tcp via %s: got %q, %v", addr, got, err)
	}
}

func roundTripUDP(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	for try := 0; try < 3; try++ {
		c.Write([]byte("ping"))
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err == nil && string(buf[:n]) == "ping" {
			return
		}
	}
	t.Errorf("udp via %s: no echo", addr)
}

func publishSetup(t *testing.T, m *Manager, subnet string) (netns.NsHandle, *Attachment) {
	t.Helper()
	if _, err := m.Create(CreateOptions{Name: "pub", Subnets: []Subnet{{Prefix: netip.MustParsePrefix(subnet)}}}); err != nil {
		t.Fatal(err)
	}
	_, h := testNetns(t)
	att, err := m.Attach(AttachOptions{ContainerID: "web", Network: "pub", Interface: "eth0", DefaultRoute: true}, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Detach("web", "pub") })
	serveIn(t, h, 8080)
	return h, att
}

func TestPublish(t *testing.T) {
	for _, proxyOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("proxyOnly=%v", proxyOnly), func(t *testing.T) {
			m := testManager(t)
			m.ProxyOnly = proxyOnly
			subnet := "10.251.50.0/24"
			if proxyOnly {
				subnet = "10.251.51.0/24"
			}
			_, att := publishSetup(t, m, subnet)
			ip := []netip.Addr{att.Addrs[0].Addr()}
			bindings := []PortBinding{
				{ContainerPort: 8080, Proto: "tcp"},
				{HostIP: netip.MustParseAddr("127.0.0.1"), ContainerPort: 8080, Proto: "udp"},
			}
			p, err := m.Publish("web", bindings, ip)
			if err != nil {
				t.Fatal(err)
			}
			tcpPort := strconv.Itoa(int(p.Bindings()[0].HostPort))
			udpPort := strconv.Itoa(int(p.Bindings()[1].HostPort))
			rules := nftList(t, m.Table)
			dnatRule := "dnat ip to " + ip[0].String() + ":8080"
			if got := strings.Contains(rules, dnatRule); got == proxyOnly {
				t.Errorf("dnat rules present: %v, want %v\n%s", got, !proxyOnly, rules)
			}
			roundTripTCP(t, "127.0.0.1:"+tcpPort)
			roundTripTCP(t, "[::1]:"+tcpPort) // IPv6 client, IPv4 container: proxy
			roundTripUDP(t, "127.0.0.1:"+udpPort)
			// Another container reaches the port through the gateway
			// address, which DNAT sends back onto the same bridge.
			clientNs, _ := testNetns(t)
			if _, err := m.Attach(AttachOptions{ContainerID: "client", Network: "pub", Interface: "eth0", DefaultRoute: true}, netns.NsHandle(mustNsFd(t, clientNs))); err != nil {
				t.Fatal(err)
			}
			gw := att.Gateways[0].String()
			out := inNetns(t, clientNs, "sh", "-c", "printf hairpin | busybox nc -w 3 "+gw+" "+tcpPort)
			if out != "HAIRPIN" {
				t.Errorf("from another container via %s:%s: got %q", gw, tcpPort, out)
			}
			m.Detach("client", "pub")
			if !proxyOnly {
				// With the proxies gone only the kernel path is left.
				for _, c := range p.closers {
					c()
				}
				roundTripTCP(t, "127.0.0.1:"+tcpPort)
				roundTripUDP(t, "127.0.0.1:"+udpPort)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(nftList(t, m.Table), dnatRule) {
				t.Errorf("dnat rules remain after close")
			}
			if _, err := Reserve(p.Bindings()); err != nil {
				t.Errorf("ports still held after close: %v", err)
			}
		})
	}
}

func mustNsFd(t *testing.T, name string) int {
	t.Helper()
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return int(h)
}

func TestPublishIPv6Container(t *testing.T) {
	m := testManager(t)
	if _, err := m.Create(CreateOptions{Name: "pub6", IPv6: true, Subnets: []Subnet{{Prefix: netip.MustParsePrefix("10.251.52.0/24")}}}); err != nil {
		t.Fatal(err)
	}
	_, h := testNetns(t)
	att, err := m.Attach(AttachOptions{ContainerID: "web6", Network: "pub6", Interface: "eth0", DefaultRoute: true}, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Detach("web6", "pub6") })
	serveIn(t, h, 8080)
	var addrs []netip.Addr
	for _, p := range att.Addrs {
		addrs = append(addrs, p.Addr())
	}
	p, err := m.Publish("web6", []PortBinding{{ContainerPort: 8080, Proto: "tcp"}}, addrs)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if rules := nftList(t, m.Table); !strings.Contains(rules, "dnat ip6 to ["+addrs[1].String()+"]:8080") {
		t.Errorf("no IPv6 dnat rule:\n%s", rules)
	}
	port := strconv.Itoa(int(p.Bindings()[0].HostPort))
	roundTripTCP(t, "127.0.0.1:"+port)
	roundTripTCP(t, "[::1]:"+port)
	// With the proxies gone, IPv4 and non-loopback IPv6 still go
	// through the kernel.
	for _, c := range p.closers {
		c()
	}
	roundTripTCP(t, "127.0.0.1:"+port)
}
