package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"
)

func layerOf(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	data := makeTar(t, entries...)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return layer
}

// mountRootfs mounts the image's root filesystem and unmounts it in cleanup.
func mountRootfs(t *testing.T, s *Store, img *Image) string {
	t.Helper()
	target, _ := mountRootfsIn(t, s, img, t.TempDir())
	return target
}

func mountRootfsIn(t *testing.T, s *Store, img *Image, dir string) (string, Mount) {
	t.Helper()
	m, err := s.Rootfs(context.Background(), img, dir)
	if err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if err := m.MountAt(target); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	return target, m
}

// tree lists every path under root with its content (files) or kind.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case fi.IsDir():
			out = append(out, rel+"/")
		case fi.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			out = append(out, rel+"="+string(data))
		default:
			out = append(out, rel+" "+fi.Mode().Type().String())
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestWhiteoutsMergeWithOverlayfs(t *testing.T) {
	needRoot(t)
	s := openStore(t)
	img, err := mutate.AppendLayers(empty.Image,
		layerOf(t, dir("etc/"), file("etc/a", "1"), file("etc/b", "1"), dir("opq/"), file("opq/x", "1"), dir("keep/"), file("keep/k", "1")),
		layerOf(t, dir("etc/"), file("etc/.wh.a", ""), file("etc/c", "2"), dir("opq/"), file("opq/.wh..wh..opq", ""), file("opq/y", "2"), dir("new/")),
		layerOf(t, file("etc/b", "3"), file(".wh.keep", "")),
	)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Put(context.Background(), img, "whiteouts")
	if err != nil {
		t.Fatal(err)
	}
	got := tree(t, mountRootfs(t, s, stored))
	want := []string{"etc/", "etc/b=3", "etc/c=2", "new/", "opq/", "opq/y=2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("merged tree = %q, want %q", got, want)
	}
}

func TestDeepImageMountsBeyondOnePage(t *testing.T) {
	needRoot(t)
	s := openStore(t)
	const depth = 120
	img := empty.Image
	var want []string
	for i := 0; i < depth; i++ {
		name := fmt.Sprintf("f%03d", i)
		var err error
		if img, err = mutate.AppendLayers(img, layerOf(t, file(name, name))); err != nil {
			t.Fatal(err)
		}
		want = append(want, name+"="+name)
	}
	stored, err := s.Put(context.Background(), img, "deep")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Rootfs(context.Background(), stored, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Options()) < os.Getpagesize() {
		t.Fatalf("options are %d bytes; the test needs more than a page", len(m.Options()))
	}
	got := tree(t, mountRootfs(t, s, stored))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("merged tree has %d entries, want %d", len(got), len(want))
	}
}

func TestCommitLayerRoundTrip(t *testing.T) {
	needRoot(t)
	s := openStore(t)
	base, err := s.Import(context.Background(), bytes.NewReader(makeTar(t, dir("etc/"), file("etc/gone", "x"), dir("var/"), file("var/old", "x"))), ImportOptions{Ref: "base"})
	if err != nil {
		t.Fatal(err)
	}
	// The container directory lies on the store's file system, as the
	// builder's does, so the upper directory can become the snapshot.
	target, m := mountRootfsIn(t, s, base, filepath.Join(filepath.Dir(s.Dir()), "containers", "c1"))
	// Changes made through the overlay, as a RUN step makes them.
	must(t, os.WriteFile(filepath.Join(target, "etc/new"), []byte("new"), 0o644))
	must(t, os.Remove(filepath.Join(target, "etc/gone")))
	must(t, os.RemoveAll(filepath.Join(target, "var")))
	must(t, os.MkdirAll(filepath.Join(target, "var/fresh"), 0o755))
	must(t, os.Link(filepath.Join(target, "etc/new"), filepath.Join(target, "etc/new2")))
	must(t, unix.Unmount(target, 0))

	var first, second bytes.Buffer
	must(t, writeLayerTar(context.Background(), &first, m.Upper))
	must(t, writeLayerTar(context.Background(), &second, m.Upper))
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Errorf("two tars of the same directory differ")
	}
	layer, err := s.CommitLayer(context.Background(), m.Upper, base.ChainIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.Upper); !os.IsNotExist(err) {
		t.Errorf("upper dir on the store's file system was not adopted as the snapshot: %v", err)
	}
	img, err := mutate.AppendLayers(mustV1(t, s, "base"), layer)
	must(t, err)
	stored, err := s.Put(context.Background(), img, "child")
	must(t, err)
	got := tree(t, mountRootfs(t, s, stored))
	want := []string{"etc/", "etc/new2=new", "etc/new=new", "var/", "var/fresh/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("merged tree = %q, want %q", got, want)
	}
	// A fresh store unpacking the blob must produce the same tree.
	other := openStore(t)
	saved := &bytes.Buffer{}
	must(t, s.Save(context.Background(), saved, []string{"child"}, FormatOCI))
	if _, err := other.Load(context.Background(), saved); err != nil {
		t.Fatal(err)
	}
	reloaded, err := other.Get("child")
	must(t, err)
	if got2 := tree(t, mountRootfs(t, other, reloaded)); strings.Join(got2, " ") != strings.Join(want, " ") {
		t.Errorf("tree from the committed blob = %q, want %q", got2, want)
	}
}

func mustV1(t *testing.T, s *Store, ref string) v1.Image {
	t.Helper()
	img, err := s.V1(ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMountedImageRefusesDeviceNodes(t *testing.T) {
	needRoot(t)
	s := openStore(t)
	node := entry{name: "evil/null", typeflag: tar.TypeChar, mode: 0o666} // 1:3, like /dev/null; 0:0 would be a whiteout
	img, err := s.Import(context.Background(), bytes.NewReader(makeDeviceTar(t, node)), ImportOptions{Ref: "devices"})
	must(t, err)
	root := mountRootfs(t, s, img)
	f, err := os.OpenFile(filepath.Join(root, "evil/null"), os.O_WRONLY, 0)
	if err == nil {
		f.Close()
		t.Fatal("a device node from a layer opened through the mounted image")
	}
	if !errors.Is(err, unix.EACCES) {
		t.Errorf("open device node: %v, want EACCES (nodev)", err)
	}
}

func makeDeviceTar(t *testing.T, e entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(t, tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: e.mode, Devmajor: 1, Devminor: 3, ModTime: fixedTime}))
	must(t, tw.Close())
	return buf.Bytes()
}
