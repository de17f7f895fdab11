package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// Address is where the resolver listens inside each container.
const Address = "127.0.0.11:53"

// Listen opens the resolver's UDP and TCP sockets on addr inside the
// network namespace netns. Only the sockets live there: the thread that
// made them returns to the caller's namespace, so everything else the
// process does (upstream queries included) stays in the host's.
func Listen(netns *os.File, addr string) (net.PacketConn, net.Listener, error) {
	var (
		pc  net.PacketConn
		ln  net.Listener
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
		pc, ln, err = listenBoth(addr)
		if unix.Setns(int(origin.Fd()), unix.CLONE_NEWNET) != nil {
			// Leave the thread locked: it exits with this goroutine
			// rather than serve others from the wrong namespace.
			return
		}
		runtime.UnlockOSThread()
	}()
	<-done
	return pc, ln, err
}

func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("resolver on udp %s: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return nil, nil, fmt.Errorf("resolver on tcp %s: %w", addr, err)
	}
	return pc, ln, nil
}

// Serve answers queries on pc and ln with h until ctx is done, then
// closes both.
func Serve(ctx context.Context, pc net.PacketConn, ln net.Listener, h dns.Handler) error {
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	udp := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: notify}
	tcp := &dns.Server{Listener: ln, Handler: h, NotifyStartedFunc: notify}
	errs := make(chan error, 2)
	go func() { errs <- udp.ActivateAndServe() }()
	go func() { errs <- tcp.ActivateAndServe() }()
	// Shutdown of a server that has not started yet is refused, and the
	// server would then start and never stop.
	for i := 0; i < 2; i++ {
		select {
		case <-started:
		case err := <-errs:
			pc.Close()
			ln.Close()
			return err
		}
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	return errors.Join(err, udp.Shutdown(), tcp.Shutdown())
}
