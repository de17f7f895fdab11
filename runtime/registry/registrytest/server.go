// Package registrytest starts a real registry server (Debian's
// docker-registry, the reference distribution implementation) on a loopback
// port for tests, with its storage in a temporary directory and optional
// htpasswd basic authentication.
package registrytest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Binary is the registry server the tests run.
const Binary = "docker-registry"

// Server is a registry server owned by one test.
type Server struct {
	Addr string // host:port, always on 127.0.0.1 or the address asked for
	Dir  string // storage root
	User string // set when started with basic authentication
	Pass string
	cmd  *exec.Cmd
	log  *syncBuffer
}

// syncBuffer collects the server's output while tests may read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type options struct {
	user, pass string
	addr       string
}

// Option changes how Start configures the server.
type Option func(*options)

// WithBasicAuth makes the server require these credentials (htpasswd, bcrypt).
func WithBasicAuth(user, pass string) Option {
	return func(o *options) { o.user, o.pass = user, pass }
}

// WithAddr makes the server listen on a fixed address instead of a free
// loopback port; the test is skipped when the address is taken.
func WithAddr(addr string) Option {
	return func(o *options) { o.addr = addr }
}

// Start runs a registry server until the test ends. It skips the test when
// the server binary is not installed.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install docker-registry)", Binary)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dir := t.TempDir()
	s := &Server{Dir: filepath.Join(dir, "storage"), User: o.user, Pass: o.pass}
	htpasswd := ""
	if o.user != "" {
		htpasswd = filepath.Join(dir, "htpasswd")
		writeHtpasswd(t, htpasswd, o.user, o.pass)
	}
	for attempt := 0; ; attempt++ {
		addr := o.addr
		if addr == "" {
			addr = freeAddr(t)
		} else if !addrFree(addr) {
			t.Skipf("%s is in use", addr)
		}
		config := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(config, []byte(configYAML(addr, s.Dir, htpasswd)), 0o600); err != nil {
			t.Fatal(err)
		}
		err := s.run(bin, config, addr)
		if err == nil {
			break
		}
		if o.addr != "" {
			t.Skipf("%s could not listen on %s (%v)", Binary, o.addr, err)
		}
		// Another process may take a free port between choosing and binding it.
		if attempt == 2 {
			t.Fatalf("start %s: %v\n%s", Binary, err, s.log)
		}
	}
	t.Cleanup(s.stop)
	return s
}

func (s *Server) run(bin, config, addr string) error {
	s.log = &syncBuffer{}
	cmd := exec.Command(bin, "serve", config)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited early: %v", err)
		default:
		}
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				s.Addr, s.cmd = addr, cmd
				go func() { <-exited }()
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return fmt.Errorf("not answering on %s after 20s", addr)
}

func (s *Server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		// Wait until the port is released so a later test may reuse it.
		for i := 0; i < 100 && !addrFree(s.Addr); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Log returns what the server printed so far, for failure messages.
func (s *Server) Log() string { return s.log.String() }

// BlobPath is where the server stores the blob with this digest ("sha256:…").
func (s *Server) BlobPath(digest string) string {
	algo, hex := digest[:6], digest[7:]
	return filepath.Join(s.Dir, "docker/registry/v2/blobs", algo, hex[:2], hex, "data")
}

func configYAML(addr, storage, htpasswd string) string {
	auth := ""
	if htpasswd != "" {
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: stack-test\n    path: %s\n", htpasswd)
	}
	return fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
%s`, storage, addr, auth)
}

func writeHtpasswd(t testing.TB, path, user, pass string) {
	t.Helper()
	bin, err := exec.LookPath("htpasswd")
	if err != nil {
		t.Skip("htpasswd is not installed (apt-get install apache2-utils)")
	}
	// -B: the registry accepts bcrypt entries only.
	out, err := exec.Command(bin, "-Bbn", user, pass).Output()
	if err != nil {
		t.Fatalf("htpasswd: %v", err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func addrFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}
