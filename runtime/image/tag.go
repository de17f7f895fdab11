package image

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Tag points the reference dst at the image src names.
func (s *Store) Tag(src, dst string) error {
	img, err := s.Get(src)
	if err != nil {
		return err
	}
	ref, err := Normalize(dst)
	if err != nil {
		return err
	}
	return s.updateIndex(func(index *v1.IndexManifest) error {
		desc, ok := findDescriptor(index, img.ManifestDigest)
		if !ok {
			return notFound(src)
		}
		setRef(index, desc, ref)
		return nil
	})
}

// Untag removes the reference ref. An image left without references stays
// in the store as a dangling image; Remove and Prune delete it.
func (s *Store) Untag(ref string) error {
	canonicalRef, err := Normalize(ref)
	if err != nil {
		return err
	}
	return s.updateIndex(func(index *v1.IndexManifest) error {
		return untag(index, canonicalRef)
	})
}

func untag(index *v1.IndexManifest, ref string) error {
	for i, d := range index.Manifests {
		if entryName(d) != ref {
			continue
		}
		index.Manifests = append(index.Manifests[:i], index.Manifests[i+1:]...)
		keepDangling(index, d)
		return nil
	}
	return notFound(ref)
}

func findDescriptor(index *v1.IndexManifest, manifest v1.Hash) (v1.Descriptor, bool) {
	for _, d := range index.Manifests {
		if d.Digest == manifest {
			desc := d
			desc.Annotations = nil
			return desc, true
		}
	}
	return v1.Descriptor{}, false
}

// dropManifests removes every entry, named or dangling, of the manifests.
func dropManifests(index *v1.IndexManifest, manifests map[v1.Hash]bool) {
	kept := index.Manifests[:0]
	for _, d := range index.Manifests {
		if !manifests[d.Digest] {
			kept = append(kept, d)
		}
	}
	index.Manifests = kept
}

// InUseError says which image a container keeps; it matches ErrInUse.
type InUseError struct {
	Ref string
	ID  v1.Hash
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("unable to remove %s: image %s is used by a container (use -f to force)", e.Ref, e.ID.Hex[:12])
}

func (e *InUseError) Unwrap() error { return ErrInUse }
