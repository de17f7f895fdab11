package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"stack/runtime/image"
	"stack/runtime/registry/registrytest"
)

// stallingProxy forwards to a registry but stops half way through one blob
// until released, and counts the blob requests it sees.
type stallingProxy struct {
	upstream *httputil.ReverseProxy
	target   string // the blob to stall on: "sha256:…"
	stalled  chan struct{}
	release  chan struct{}
	once     sync.Once
	mu       sync.Mutex
	gets     map[string]int
}

func (p *stallingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	digest := ""
	if i := strings.Index(r.URL.Path, "/blobs/"); i >= 0 && r.Method == http.MethodGet {
		digest = r.URL.Path[i+len("/blobs/"):]
		p.mu.Lock()
		p.gets[digest]++
		p.mu.Unlock()
	}
	select {
	case <-p.release:
		p.upstream.ServeHTTP(w, r)
		return
	default:
	}
	if digest != p.target {
		p.upstream.ServeHTTP(w, r)
		return
	}
	p.upstream.ServeHTTP(&stallingWriter{ResponseWriter: w, proxy: p, ctx: r.Context()}, r)
}

func (p *stallingProxy) count(digest string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gets[digest]
}

// stallingWriter lets the first megabyte through, then waits.
type stallingWriter struct {
	http.ResponseWriter
	proxy   *stallingProxy
	ctx     context.Context
	written int
}

func (w *stallingWriter) Write(b []byte) (int, error) {
	if w.written >= 1<<20 {
		w.ResponseWriter.(http.Flusher).Flush()
		w.proxy.once.Do(func() { close(w.proxy.stalled) })
		select {
		case <-w.proxy.release:
		case <-w.ctx.Done():
			return 0, w.ctx.Err()
		}
	}
	w.written += len(b)
	return w.ResponseWriter.Write(b)
}

// TestInterruptedPullResumes kills a pulling process while one layer is
// half transferred, checks that no image became visible, and pulls again:
// the layer that was complete is not fetched a second time.
func TestInterruptedPullResumes(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.Start(t)
	store := newStore(t)
	big, err := random.Layer(4<<20, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(busybox(t), big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(ctx, img, srv.Addr+"/app:v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, store, srv.Addr+"/app:v1", anonymous); err != nil {
		t.Fatal(err)
	}
	bigDigest, _ := big.Digest()
	layers, _ := img.Layers()
	baseDigest, _ := layers[0].Digest()

	upstream, _ := url.Parse("http://" + srv.Addr)
	proxy := &stallingProxy{
		upstream: httputil.NewSingleHostReverseProxy(upstream), target: bigDigest.String(),
		stalled: make(chan struct{}), release: make(chan struct{}), gets: map[string]int{},
	}
	front := httptest.NewServer(proxy)
	released := false
	t.Cleanup(func() {
		if !released {
			close(proxy.release)
		}
		front.Close()
	})
	ref := strings.TrimPrefix(front.URL, "http://") + "/app:v1"

	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$", root, ref)
	cmd.Env = append(os.Environ(), helperEnv+"=pull")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	basePath := filepath.Join(root, "images", "blobs", baseDigest.Algorithm, baseDigest.Hex)
	waitFor(t, exited, &stderr, "the big layer to stall", func() bool {
		select {
		case <-proxy.stalled:
			return true
		default:
			return false
		}
	})
	waitFor(t, exited, &stderr, "the base layer to be stored", func() bool {
		_, err := os.Stat(basePath)
		return err == nil
	})
	cmd.Process.Kill()
	<-exited

	killed, err := image.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := killed.Get(ref); !errors.Is(err, image.ErrNotFound) {
		t.Fatalf("after the kill Get(%s) = %v, %v; want ErrNotFound", ref, got, err)
	}
	close(proxy.release)
	released = true
	pulled, err := Pull(ctx, killed, ref, anonymous)
	if err != nil {
		t.Fatalf("second pull: %v", err)
	}
	want, _ := img.ConfigName()
	if pulled.ID != want {
		t.Errorf("resumed pull gave image %s, want %s", pulled.ID, want)
	}
	if n := proxy.count(baseDigest.String()); n != 1 {
		t.Errorf("base layer fetched %d times, want once: the resumed pull should reuse it", n)
	}
	if n := proxy.count(bigDigest.String()); n != 2 {
		t.Errorf("big layer fetched %d times, want twice", n)
	}
}

// waitFor polls cond until it holds, failing if the helper exits first or
// nothing happens for a minute.
func waitFor(t *testing.T, exited chan error, stderr *strings.Builder, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("pulling process exited (%v) before %s:\n%s", err, what, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
