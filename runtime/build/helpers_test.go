package build

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"stack/runtime/container"
	"stack/runtime/image"
)

func TestMain(m *testing.M) {
	// RUN steps start the runtime's init by re-executing this binary.
	if container.IsInit() {
		container.InitMain()
	}
	code := m.Run()
	if busybox.path != "" {
		os.RemoveAll(filepath.Dir(busybox.path))
	}
	os.Exit(code)
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

var busybox struct {
	once sync.Once
	path string
	err  error
}

// busyboxTar is the busybox root filesystem of the examples, made once.
func busyboxTar(t testing.TB) string {
	t.Helper()
	busybox.once.Do(func() {
		dir, err := os.MkdirTemp("", "stack-build-test-")
		if err != nil {
			busybox.err = err
			return
		}
		busybox.path = filepath.Join(dir, "busybox.tar")
		out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", busybox.path).CombinedOutput()
		if err != nil {
			busybox.err = errors.New(err.Error() + ": " + string(out))
		}
	})
	if busybox.err != nil {
		t.Skipf("busybox rootfs: %v", busybox.err)
	}
	return busybox.path
}

// testEnv is a store with busybox:latest in it and a builder on top.
type testEnv struct {
	t     testing.TB
	root  string
	store *image.Store
	b     *Builder
	out   bytes.Buffer
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	needRoot(t)
	root := t.TempDir()
	store, err := image.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	importTar(t, store, busyboxTar(t), "busybox:latest")
	tmp := filepath.Join(root, "build-tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, root: root, store: store}
	e.b = &Builder{Images: StoreImages{store}, Runner: ContainerRunner{Store: store, Dir: tmp},
		CacheDir: filepath.Join(root, "build-cache"), TempDir: tmp}
	return e
}

func importTar(t testing.TB, store *image.Store, path, ref string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := store.Import(context.Background(), f, image.ImportOptions{Ref: ref}); err != nil {
		t.Fatal(err)
	}
}

// writeContext makes a build context from name → content; a name ending
// in "/" is a directory.
func writeContext(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// build runs a Dockerfile in dir and returns the result; the log is in e.out.
func (e *testEnv) build(dir, dockerfile string, o Options) (*Result, error) {
	e.t.Helper()
	e.out.Reset()
	o.ContextDir = dir
	o.DockerfileData = []byte(dockerfile)
	o.Output = &e.out
	return e.b.Build(context.Background(), o)
}

func (e *testEnv) mustBuild(dir, dockerfile string, o Options) *Result {
	e.t.Helper()
	res, err := e.build(dir, dockerfile, o)
	if err != nil {
		e.t.Fatalf("build: %v\n%s", err, e.out.String())
	}
	return res
}

// treeEntry is what the tests compare of a file in an image.
type treeEntry struct {
	typ      byte
	mode     int64
	uid, gid int
	link     string
	content  string
}

// tree flattens img the way a container sees it.
func tree(t testing.TB, img v1.Image) map[string]treeEntry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]treeEntry{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		e := treeEntry{typ: hdr.Typeflag, mode: hdr.Mode & 0o7777, uid: hdr.Uid, gid: hdr.Gid, link: hdr.Linkname}
		if hdr.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			e.content = string(b)
		}
		out["/"+strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")] = e
	}
}

func configOf(t testing.TB, img v1.Image) *v1.ConfigFile {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}
