package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// DialTimeout bounds one connection attempt, and PingTimeout the first
// request to a registry, so that an unreachable registry fails within five
// seconds instead of after the kernel's TCP retries.
const (
	DialTimeout = 4 * time.Second
	PingTimeout = 5 * time.Second
)

// unreachableError is a registry address that could not be reached. It has
// no Temporary method on purpose: the client's retries would only repeat the
// wait.
type unreachableError struct {
	addr string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("registry %s unreachable: %v", e.addr, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

// dialer remembers the addresses that failed during one operation, so that
// the scheme fallback and the client's retries fail at once instead of
// waiting out the timeout again.
type dialer struct {
	net.Dialer
	mu     sync.Mutex
	failed map[string]error
}

func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	err := d.failed[addr]
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	conn, err := d.Dialer.DialContext(ctx, network, addr)
	if err != nil && ctx.Err() == nil {
		err = &unreachableError{addr: addr, err: err}
		d.mu.Lock()
		d.failed[addr] = err
		d.mu.Unlock()
	}
	return conn, err
}

// guard applies the insecure-registry rules to every request: the client
// would speak plain HTTP to any private address, Docker only to loopback and
// to registries configured as insecure, so other requests are moved to TLS.
// It also bounds the ping, the request that finds out whether anyone answers.
type guard struct {
	base  http.RoundTripper
	hosts *Hosts
}

func newTransport(hosts *Hosts) http.RoundTripper {
	base := http.DefaultTransport.(*http.Transport).Clone()
	d := &dialer{Dialer: net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}, failed: map[string]error{}}
	base.DialContext = d.DialContext
	base.TLSHandshakeTimeout = PingTimeout
	base.MaxIdleConnsPerHost = 8
	return &guard{base: base, hosts: hosts}
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.hosts.Insecure(req.URL.Host) {
		req = req.Clone(req.Context())
		req.URL.Scheme = "https"
	}
	if req.URL.Path != "/v2/" {
		return g.base.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), PingTimeout)
	resp, err := g.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		if timedOut {
			return nil, &unreachableError{addr: req.URL.Host, err: fmt.Errorf("no answer within %s", PingTimeout)}
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
