package image

import (
	"context"
	"errors"
	"os"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func TestPutGetTagRemove(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := openStore(t)
	src, err := random.Image(1024, 3)
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Put(ctx, src, "app", "localhost:5000/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	wantID, _ := src.ConfigName()
	if img.ID != wantID {
		t.Errorf("ID = %s, want %s", img.ID, wantID)
	}
	wantRefs := []string{"docker.io/library/app:latest", "localhost:5000/app:v1"}
	if len(img.Refs) != 2 || img.Refs[0] != wantRefs[0] || img.Refs[1] != wantRefs[1] {
		t.Errorf("Refs = %q, want %q", img.Refs, wantRefs)
	}
	for _, ref := range []string{"app", "app:latest", "docker.io/library/app", img.ID.String(), img.ID.Hex[:12], "app@" + img.ManifestDigest.String()} {
		got, err := s.Get(ref)
		if err != nil {
			t.Errorf("Get(%q): %v", ref, err)
			continue
		}
		if got.ID != img.ID {
			t.Errorf("Get(%q).ID = %s, want %s", ref, got.ID, img.ID)
		}
	}
	if _, err := s.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nope) = %v, want ErrNotFound", err)
	}
	view, err := s.V1("app")
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(view); err != nil {
		t.Errorf("stored image does not validate: %v", err)
	}
	for _, chainID := range img.ChainIDs {
		if _, err := os.Stat(s.SnapshotPath(chainID)); err != nil {
			t.Errorf("snapshot %s: %v", chainID, err)
		}
	}
	if err := s.Tag("app", "other:1"); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Remove("app", RemoveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed.Deleted) != 0 || len(removed.Untagged) != 1 {
		t.Errorf("Remove(app) with other names = %+v, want one untag and no delete", removed)
	}
	if _, err := s.Remove(img.ID.Hex[:12], RemoveOptions{}); err == nil {
		t.Errorf("Remove by ID of an image with two names succeeded, want refusal without -f")
	}
	inUse := func(v1.Hash) bool { return true }
	if _, err := s.Remove(img.ID.Hex[:12], RemoveOptions{Force: true, InUse: inUse}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(img.ID.String()); err != nil || len(got.Refs) != 0 {
		t.Fatalf("in-use image after forced rm: %v, %v; want it kept dangling", got, err)
	}
	removed, err = s.Remove(img.ID.String(), RemoveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed.Deleted) != 4 {
		t.Errorf("Deleted = %v, want the image and its 3 layers", removed.Deleted)
	}
	for _, chainID := range img.ChainIDs {
		if _, err := os.Stat(s.SnapshotPath(chainID)); !os.IsNotExist(err) {
			t.Errorf("snapshot %s still there after rm: %v", chainID, err)
		}
	}
}
