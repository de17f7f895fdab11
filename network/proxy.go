package network

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// UDPIdleTimeout is how long a UDP flow through the proxy lives without
// traffic in either direction.
var UDPIdleTimeout = 30 * time.Second

// tcpProxy forwards each accepted connection to target and passes a
// half-close through: when one side stops sending, the other side's write
// half is shut, and the connection ends when both directions are done.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like
			continue
		}
		p.wg.Add(1)
		go p.pipe(c)
	}
}

func (p *tcpProxy) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false // closed
	}
	if add {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
	return true
}

func (p *tcpProxy) pipe(client net.Conn) {
	defer p.wg.Done()
	defer client.Close()
	backend, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer backend.Close()
	if !p.track(client, true) || !p.track(backend, true) {
		return
	}
	defer p.track(client, false)
	defer p.track(backend, false)
	done := make(chan struct{})
	go func() {
		halfCopy(backend, client)
		close(done)
	}()
	halfCopy(client, backend)
	<-done
}

// halfCopy copies until src ends, then shuts dst's write side so the peer
// sees the end of the stream while the other direction goes on.
func halfCopy(dst, src net.Conn) {
	io.Copy(dst, src)
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	} else {
		dst.Close()
	}
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// udpProxy keeps one flow (a connected socket towards the container) per
// client address and forgets it after UDPIdleTimeout without traffic.
type udpProxy struct {
	pc     net.PacketConn
	target *net.UDPAddr
	mu     sync.Mutex
	flows  map[string]*udpFlow
	wg     sync.WaitGroup
}

type udpFlow struct {
	conn *net.UDPConn
	last atomic.Int64
}

func (p *udpProxy) serve() {
	buf := make([]byte, 65535)
	for {
		n, client, err := p.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		f := p.flow(client)
		if f == nil {
			continue
		}
		f.last.Store(time.Now().UnixNano())
		f.conn.Write(buf[:n])
	}
}

func (p *udpProxy) flow(client net.Addr) *udpFlow {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.flows == nil {
		return nil
	}
	if f, ok := p.flows[client.String()]; ok {
		return f
	}
	conn, err := net.DialUDP("udp", nil, p.target)
	if err != nil {
		return nil
	}
	f := &udpFlow{conn: conn}
	f.last.Store(time.Now().UnixNano())
	p.flows[client.String()] = f
	p.wg.Add(1)
	go p.replies(client, f)
	return f
}

// replies carries the container's answers back to one client until the
// flow has been idle long enough.
func (p *udpProxy) replies(client net.Addr, f *udpFlow) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		if p.flows != nil {
			delete(p.flows, client.String())
		}
		p.mu.Unlock()
		f.conn.Close()
	}()
	buf := make([]byte, 65535)
	for {
		idle := time.Since(time.Unix(0, f.last.Load()))
		if idle >= UDPIdleTimeout {
			return
		}
		f.conn.SetReadDeadline(time.Now().Add(UDPIdleTimeout - idle))
		n, err := f.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP unreachable while the service starts
		}
		f.last.Store(time.Now().UnixNano())
		p.pc.WriteTo(buf[:n], client)
	}
}

func (p *udpProxy) close() {
	p.pc.Close()
	p.mu.Lock()
	for _, f := range p.flows {
		f.conn.Close()
	}
	p.flows = nil
	p.mu.Unlock()
	p.wg.Wait()
}
