package image

import (
	"encoding/json"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	indexMediaType = types.OCIImageIndex
	// AnnotationName carries the full reference of an index entry.
	AnnotationName = "io.containerd.image.name"
	// AnnotationRefName carries the tag, as the OCI image layout defines it.
	AnnotationRefName = "org.opencontainers.image.ref.name"
)

func (s *Store) readIndex() (*v1.IndexManifest, error) {
	data, err := os.ReadFile(s.indexPath())
	if err != nil {
		return nil, fmt.Errorf("image index: %w", err)
	}
	var index v1.IndexManifest
	if err := json.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("image index %s: %w", s.indexPath(), err)
	}
	return &index, nil
}

func (s *Store) writeIndex(index *v1.IndexManifest) error {
	if index.Manifests == nil {
		index.Manifests = []v1.Descriptor{}
	}
	return writeJSONAtomic(s.indexPath(), index)
}

// updateIndex applies change to index.json under the index lock.
func (s *Store) updateIndex(change func(*v1.IndexManifest) error) error {
	unlock, err := s.lockIndex()
	if err != nil {
		return err
	}
	defer unlock()
	index, err := s.readIndex()
	if err != nil {
		return err
	}
	if err := change(index); err != nil {
		return err
	}
	return s.writeIndex(index)
}

func entryName(d v1.Descriptor) string {
	return d.Annotations[AnnotationName]
}

// setRef points ref at manifest, moving it away from any other manifest, and
// drops the dangling entry of manifest if there was one.
func setRef(index *v1.IndexManifest, manifest v1.Descriptor, ref string) {
	kept := index.Manifests[:0]
	for _, d := range index.Manifests {
		name := entryName(d)
		if name == ref || (name == "" && d.Digest == manifest.Digest) {
			continue
		}
		kept = append(kept, d)
	}
	entry := manifest
	entry.Annotations = map[string]string{AnnotationName: ref}
	if tag := tagOf(ref); tag != "" {
		entry.Annotations[AnnotationRefName] = tag
	}
	index.Manifests = append(kept, entry)
}

// keepDangling records manifest without a name unless an entry has it already.
func keepDangling(index *v1.IndexManifest, manifest v1.Descriptor) {
	for _, d := range index.Manifests {
		if d.Digest == manifest.Digest {
			return
		}
	}
	entry := manifest
	entry.Annotations = nil
	index.Manifests = append(index.Manifests, entry)
}
