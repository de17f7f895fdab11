package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func importFile(t *testing.T, s *Store, path string, options ImportOptions) *Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := s.Import(context.Background(), f, options)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return img
}

func TestImportBusybox(t *testing.T) {
	needRoot(t)
	s := openStore(t)
	img := importFile(t, s, busyboxTar(t), ImportOptions{Ref: "busybox:test", Source: "busybox.tar", Changes: []string{`CMD ["sh"]`, "ENV PATH=/bin:/usr/bin", "WORKDIR /home/app", "USER app"}})
	if got, want := img.Refs, []string{"docker.io/library/busybox:test"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Refs = %q, want %q", got, want)
	}
	c := img.Config.Config
	if !reflect.DeepEqual(c.Cmd, []string{"sh"}) || c.WorkingDir != "/home/app" || c.User != "app" || !reflect.DeepEqual(c.Env, []string{"PATH=/bin:/usr/bin"}) {
		t.Errorf("config = %+v, want the --change values", c)
	}
	if len(img.DiffIDs) != 1 || img.Layers[0].Digest != img.DiffIDs[0] {
		t.Errorf("layers %v, diff IDs %v: want one uncompressed layer", img.Layers, img.DiffIDs)
	}
	fs := s.SnapshotPath(img.ChainIDs[0])
	if target, err := os.Readlink(filepath.Join(fs, "bin/sh")); err != nil || target != "/bin/busybox" {
		t.Errorf("bin/sh -> %q, %v; want /bin/busybox", target, err)
	}
	if fi, err := os.Stat(filepath.Join(fs, "home/app")); err != nil || fi.Sys().(*syscallStat).Uid != 1000 {
		t.Errorf("home/app owner: %v; want uid 1000", err)
	}
	if fi, err := os.Stat(filepath.Join(fs, "tmp")); err != nil || fi.Mode().Perm()|fi.Mode()&os.ModeSticky != 0o777|os.ModeSticky {
		t.Errorf("tmp mode: %v, %v; want 1777", fi.Mode(), err)
	}
	view, err := s.V1("busybox:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(view, validate.Fast); err != nil {
		t.Errorf("imported image does not validate: %v", err)
	}
}

func TestImportCompressedAndDeduplicated(t *testing.T) {
	needRoot(t)
	s := openStore(t)
	plain, err := os.ReadFile(busyboxTar(t))
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Import(context.Background(), bytes.NewReader(plain), ImportOptions{Ref: "one"})
	if err != nil {
		t.Fatal(err)
	}
	blobsBefore := countEntries(t, s.blobDir())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	second, err := s.Import(context.Background(), &gz, ImportOptions{Ref: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if first.DiffIDs[0] != second.DiffIDs[0] {
		t.Errorf("gzip import diff ID %s, plain %s: want equal", second.DiffIDs[0], first.DiffIDs[0])
	}
	// Only a config and a manifest are new; the layer is shared.
	if got, want := countEntries(t, s.blobDir()), blobsBefore+2; got != want {
		t.Errorf("blobs after re-import = %d, want %d", got, want)
	}
	if got := countEntries(t, s.snapshots); got != 2 { // the snapshot and its lock file
		t.Errorf("snapshots dir has %d entries, want 2", got)
	}
}

func countEntries(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestConcurrentImports(t *testing.T) {
	needRoot(t)
	s := openStore(t)
	path := busyboxTar(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	ids := make([]v1.Hash, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other, err := Open(filepath.Dir(s.dir)) // its own descriptors, like another process
			if err != nil {
				errs[i] = err
				return
			}
			f, err := os.Open(path)
			if err != nil {
				errs[i] = err
				return
			}
			defer f.Close()
			img, err := other.Import(context.Background(), f, ImportOptions{Ref: "same"})
			if err == nil {
				ids[i] = img.DiffIDs[0]
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("import %d: %v", i, err)
		}
	}
	img, err := s.Get("same")
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id != img.DiffIDs[0] {
			t.Errorf("import %d layer %s, want %s", i, id, img.DiffIDs[0])
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.snapshots, ".tmp-*"))
	tmp, _ := os.ReadDir(s.tmpDir())
	if len(leftovers) != 0 || len(tmp) != 0 {
		t.Errorf("leftovers after concurrent imports: %v, %d temp blobs", leftovers, len(tmp))
	}
}
