package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// Address is where the resolver listens inside each container.
const Address = "127.0.0.11:53"

// Sockets are the resolver's UDP and TCP sockets. The UDP socket is a
// blocking one served by a plain receive/answer/send loop: a query then
// costs two system calls on the resolver's side, which is most of its
// latency on hosts where system calls are expensive.
type Sockets struct {
	udp int
	tcp net.Listener
}

// Close releases the sockets of a resolver that is not served.
func (s *Sockets) Close() error {
	return errors.Join(unix.Close(s.udp), s.tcp.Close())
}

// Listen opens the resolver's sockets on addr inside the network
// namespace netns. Only the sockets live there: the thread that made them
// returns to the caller's namespace, so everything else the process does
// (upstream queries included) stays in the host's.
func Listen(netns *os.File, addr string) (*Sockets, error) {
	var (
		s   *Sockets
		err error
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		origin, oerr := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if oerr != nil {
			err = oerr
			runtime.UnlockOSThread()
			return
		}
		defer origin.Close()
		if err = unix.Setns(int(netns.Fd()), unix.CLONE_NEWNET); err != nil {
			err = fmt.Errorf("enter container network namespace: %w", err)
			runtime.UnlockOSThread()
			return
		}
		s, err = ListenHere(addr)
		if unix.Setns(int(origin.Fd()), unix.CLONE_NEWNET) != nil {
			// Leave the thread locked: it exits with this goroutine
			// rather than serve others from the wrong namespace.
			return
		}
		runtime.UnlockOSThread()
	}()
	<-done
	return s, err
}

// ListenHere opens the resolver's sockets on addr in the caller's
// network namespace.
func ListenHere(addr string) (*Sockets, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("resolver address %q: expected an IPv4 address and port", addr)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("resolver on udp %s: %w", addr, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("resolver on udp %s: %w", addr, err)
	}
	// The receive loop wakes up this often to notice that it must stop.
	tv := unix.Timeval{Usec: 200_000}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if ap.Port() == 0 {
		if sa, err := unix.Getsockname(fd); err == nil {
			ap = netip.AddrPortFrom(ap.Addr(), uint16(sa.(*unix.SockaddrInet4).Port))
		}
	}
	ln, err := listenTCP(ap)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("resolver on tcp %s: %w", ap, err)
	}
	return &Sockets{udp: fd, tcp: ln}, nil
}

// listenTCP makes the TCP listener with plain system calls: inside a
// container's namespace the net package must not run its one-time probe
// of the host's IPv6 support.
func listenTCP(ap netip.AddrPort) (net.Listener, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Listen(fd, 128); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "resolver-tcp")
	defer f.Close()
	return net.FileListener(f)
}

// Addr is the address the sockets are bound to.
func (s *Sockets) Addr() string { return s.tcp.Addr().String() }

// Serve answers queries on s with r until ctx is done, then closes s.
func Serve(ctx context.Context, s *Sockets, r *Resolver) error {
	started := make(chan struct{})
	tcp := &dns.Server{Listener: s.tcp, Handler: r, NotifyStartedFunc: func() { close(started) }}
	errs := make(chan error, 1)
	go func() { errs <- tcp.ActivateAndServe() }()
	// Shutdown of a server that has not started yet is refused, and the
	// server would then start and never stop.
	select {
	case <-started:
	case err := <-errs:
		unix.Close(s.udp)
		return err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		serveUDP(ctx, s.udp, r)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	err = errors.Join(err, tcp.Shutdown())
	wg.Wait()
	return errors.Join(err, unix.Close(s.udp))
}

// serveUDP answers local names inline and hands forwarded queries to
// goroutines, so a slow upstream never holds up local answers.
func serveUDP(ctx context.Context, fd int, r *Resolver) {
	buf := make([]byte, 65535)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		req := new(dns.Msg)
		if req.Unpack(buf[:n]) != nil {
			continue
		}
		resp, forward := r.Answer(req)
		if !forward {
			sendUDP(fd, req, resp, from)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sendUDP(fd, req, r.cfg.Upstream.Forward(req, false), from)
		}()
	}
}

func sendUDP(fd int, req, resp *dns.Msg, to unix.Sockaddr) {
	truncateForUDP(req, resp)
	data, err := resp.Pack()
	if err != nil {
		return
	}
	unix.Sendto(fd, data, 0, to)
}
