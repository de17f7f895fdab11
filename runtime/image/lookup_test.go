package image

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
)

// TestGetAndIDAgreeWithList checks the by-name shortcut of Get and ID
// against a search of the whole store, for every form of reference.
func TestGetAndIDAgreeWithList(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := openStore(t)
	for i, refs := range [][]string{{"app", "localhost:5000/app:v1"}, {"other:2"}, {}} {
		src, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		img, err := s.Put(ctx, src, refs...)
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		all, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		forms := []string{img.ID.String(), img.ID.Hex[:12], img.ManifestDigest.String()}
		for _, ref := range refs {
			forms = append(forms, ref, "docker.io/library/"+ref)
		}
		for _, ref := range forms {
			want, wantErr := find(all, ref)
			got, err := s.Get(ref)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
				t.Errorf("Get(%q) = %+v, %v; want %+v, %v", ref, got, err, want, wantErr)
			}
			id, err := s.ID(ref)
			if want != nil && (err != nil || id != want.ID) {
				t.Errorf("ID(%q) = %s, %v; want %s", ref, id, err, want.ID)
			}
		}
	}
	all, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"nope", "nope:1", "sha256:" + unusedIDPrefix(all)} {
		if _, err := s.Get(ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", ref, err)
		}
		if _, err := s.ID(ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("ID(%q) = %v, want ErrNotFound", ref, err)
		}
	}
}

// unusedIDPrefix returns two hex digits that begin no image ID of images: a
// short ID names an image by prefix, and the test's images have random IDs.
func unusedIDPrefix(images []*Image) string {
	for i := 0; ; i++ {
		prefix := fmt.Sprintf("%02x", i)
		if !slices.ContainsFunc(images, func(img *Image) bool { return strings.HasPrefix(img.ID.Hex, prefix) }) {
			return prefix
		}
	}
}
