package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	src := openStore(t)
	// Gzip layers, as a registry serves them, and an uncompressed one.
	pulled, err := mutate.AppendLayers(empty.Image, layerOf(t, dir("etc/"), file("etc/a", "1")), layerOf(t, file("etc/.wh.a", ""), file("b", "2")))
	must(t, err)
	multi, err := src.Put(ctx, pulled, "multi:1", "localhost:5000/multi:2")
	must(t, err)
	dangling, err := src.Import(ctx, bytes.NewReader(makeTar(t, file("only", "x"))), ImportOptions{})
	must(t, err)
	for _, format := range []Format{FormatDocker, FormatOCI} {
		t.Run(format.String(), func(t *testing.T) {
			var archive bytes.Buffer
			must(t, src.Save(ctx, &archive, []string{"multi:1", "localhost:5000/multi:2", dangling.ID.Hex[:12]}, format))
			var compressed bytes.Buffer
			zw := gzip.NewWriter(&compressed)
			zw.Write(archive.Bytes())
			zw.Close()
			dst := openStore(t)
			loaded, err := dst.Load(ctx, &compressed)
			if err != nil {
				t.Fatal(err)
			}
			if len(loaded) != 2 {
				t.Fatalf("loaded %d images, want 2", len(loaded))
			}
			got, err := dst.Get("multi:1")
			must(t, err)
			if got.ID != multi.ID || !reflect.DeepEqual(got.DiffIDs, multi.DiffIDs) {
				t.Errorf("loaded ID %s diff IDs %v, want %s %v", got.ID, got.DiffIDs, multi.ID, multi.DiffIDs)
			}
			if want := []string{"docker.io/library/multi:1", "localhost:5000/multi:2"}; !reflect.DeepEqual(got.Refs, want) {
				t.Errorf("loaded refs %q, want %q", got.Refs, want)
			}
			if untagged, err := dst.Get(dangling.ID.String()); err != nil || len(untagged.Refs) != 0 {
				t.Errorf("untagged image: %v, %v; want it loaded without names", untagged, err)
			}
			tree := strings.Join(tree(t, mountRootfs(t, dst, got)), " ")
			if tree != "b=2 etc/" {
				t.Errorf("merged tree %q, want %q", tree, "b=2 etc/")
			}
		})
	}
}

func TestLoadRefusesCorruptArchives(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	src := openStore(t)
	_, err := src.Import(ctx, bytes.NewReader(makeTar(t, file("f", "original"))), ImportOptions{Ref: "victim"})
	must(t, err)
	var archive bytes.Buffer
	must(t, src.Save(ctx, &archive, []string{"victim"}, FormatOCI))
	corrupt := bytes.Replace(archive.Bytes(), []byte("original"), []byte("tampered"), 1)
	dst := openStore(t)
	if _, err := dst.Load(ctx, bytes.NewReader(corrupt)); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
		t.Errorf("loading a tampered archive: %v, want a digest mismatch", err)
	}
	assertEmptyStore(t, dst)
	if _, err := dst.Load(ctx, strings.NewReader("not a tar at all, certainly not an image")); err == nil {
		t.Errorf("loading garbage succeeded")
	}
}

func TestPruneRemovesGarbageOnly(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := openStore(t)
	kept, err := s.Import(ctx, bytes.NewReader(makeTar(t, file("kept", "1"))), ImportOptions{Ref: "kept"})
	must(t, err)
	dangling, err := s.Import(ctx, bytes.NewReader(makeTar(t, file("dangling", "2"))), ImportOptions{})
	must(t, err)
	used, err := s.Import(ctx, bytes.NewReader(makeTar(t, file("used", "3"))), ImportOptions{})
	must(t, err)
	// A layer a build committed and has not put in an image yet.
	upper := t.TempDir()
	must(t, os.WriteFile(upper+"/pending", []byte("4"), 0o644))
	pending, err := s.CommitLayer(ctx, upper, v1.Hash{})
	must(t, err)
	inUse := func(id v1.Hash) bool { return id == used.ID }

	report, err := s.Prune(ctx, PruneOptions{InUse: inUse, Grace: time.Hour})
	must(t, err)
	if len(report.Images) != 1 || report.Images[0].ID != dangling.ID {
		t.Errorf("pruned images %v, want only the dangling one", report.Images)
	}
	pendingDigest, _ := pending.Digest()
	if !s.hasBlob(pendingDigest) {
		t.Errorf("a fresh committed layer was pruned within the grace period")
	}
	if s.hasBlob(dangling.DiffIDs[0]) {
		t.Errorf("the dangling image's layer is still there")
	}
	report, err = s.Prune(ctx, PruneOptions{InUse: inUse})
	must(t, err)
	if s.hasBlob(pendingDigest) || s.hasSnapshot(ChainID(v1.Hash{}, pendingDigest)) || report.Blobs != 1 || report.Snapshots != 1 {
		t.Errorf("without grace the unreferenced layer stays: report %+v", report)
	}
	for _, img := range []*Image{kept, used} {
		if _, err := s.Get(img.ID.String()); err != nil || !s.hasBlob(img.DiffIDs[0]) || !s.hasSnapshot(img.ChainIDs[0]) {
			t.Errorf("image %s lost by prune: %v", img.ID, err)
		}
	}
	if report, err := s.Prune(ctx, PruneOptions{All: true}); err != nil || len(report.Images) != 2 {
		t.Errorf("prune -a removed %v, %v; want both images", report.Images, err)
	}
	if n := countEntries(t, s.blobDir()); n != 0 {
		t.Errorf("%d blobs left after prune -a", n)
	}
}
