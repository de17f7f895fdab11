package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// RemoveOptions tune Remove.
type RemoveOptions struct {
	// Force removes an image with several references when it is named by
	// ID, and untags an image a container uses.
	Force bool
	// InUse reports whether a container uses the image with this ID; the
	// store knows nothing of containers. Nil means no image is in use.
	InUse func(imageID v1.Hash) bool
}

// Removed lists what Remove did, in the order Docker prints it.
type Removed struct {
	Untagged []string  // canonical references
	Deleted  []v1.Hash // image IDs, then blobs whose last user went away
}

// Remove removes ref as docker rmi does: naming one of several references
// only untags it; naming the last reference or the ID deletes the image and
// the blobs and snapshots no other image uses. An image a container uses is
// refused unless Force, and then only untagged: its content stays until no
// container uses it.
func (s *Store) Remove(ref string, options RemoveOptions) (Removed, error) {
	unlock, err := s.lockCollect()
	if err != nil {
		return Removed{}, err
	}
	defer unlock()
	img, err := s.Get(ref)
	if err != nil {
		return Removed{}, err
	}
	inUse := options.InUse != nil && options.InUse(img.ID)
	byName := isNameOf(img, ref)
	if !byName && len(img.Refs) > 1 && !options.Force {
		return Removed{}, fmt.Errorf("unable to delete %s: image is referenced in multiple repositories (use -f to force)", img.ShortID())
	}
	if inUse && !options.Force && (!byName || len(img.Refs) <= 1) {
		return Removed{}, &InUseError{Ref: ref, ID: img.ID}
	}
	var removed Removed
	untagRefs := img.Refs
	if byName {
		canonicalRef, _ := Normalize(ref)
		untagRefs = []string{canonicalRef}
	}
	deleteImage := !inUse && (!byName || len(img.Refs) <= 1)
	err = s.updateIndex(func(index *v1.IndexManifest) error {
		for _, r := range untagRefs {
			if err := untag(index, r); err != nil {
				return err
			}
			removed.Untagged = append(removed.Untagged, r)
		}
		if deleteImage {
			dropManifests(index, map[v1.Hash]bool{img.ManifestDigest: true})
		}
		return nil
	})
	if err != nil || !deleteImage {
		return removed, err
	}
	removed.Deleted = append(removed.Deleted, img.ID)
	freed, err := s.orphansOf([]*Image{img})
	removed.Deleted = append(removed.Deleted, freed.layers...)
	return removed, err
}

func isNameOf(img *Image, ref string) bool {
	canonicalRef, err := Normalize(ref)
	if err != nil {
		return false
	}
	for _, r := range img.Refs {
		if r == canonicalRef {
			return true
		}
	}
	return false
}

// orphansOf deletes the blobs and snapshots of images that no image left in
// the index uses. The caller holds the collect lock.
func (s *Store) orphansOf(images []*Image) (reclaimed, error) {
	var r reclaimed
	live, err := s.liveContent()
	if err != nil {
		return r, err
	}
	for _, img := range images {
		for _, h := range append([]v1.Hash{img.ManifestDigest, img.ID}, layerDigests(img)...) {
			fi, err := os.Stat(s.blobPath(h))
			if live.blobs[h] || err != nil || os.Remove(s.blobPath(h)) != nil {
				continue
			}
			r.blobs++
			r.bytes += fi.Size()
			if h != img.ID && h != img.ManifestDigest {
				r.layers = append(r.layers, h)
			}
		}
		for _, chainID := range img.ChainIDs {
			if live.snapshots[chainID.Hex] || !s.hasSnapshot(chainID) {
				continue
			}
			r.bytes += diskUsage(filepath.Join(s.snapshots, chainID.Hex))
			if err := s.removeSnapshot(chainID.Hex); err != nil {
				return r, err
			}
			r.snapshots++
		}
	}
	return r, nil
}

// reclaimed counts what a deletion freed.
type reclaimed struct {
	layers    []v1.Hash // layer blobs deleted
	blobs     int
	snapshots int
	bytes     int64
}

func layerDigests(img *Image) []v1.Hash {
	out := make([]v1.Hash, len(img.Layers))
	for i, l := range img.Layers {
		out[i] = l.Digest
	}
	return out
}

// removeSnapshot renames the snapshot out of the way first, so that a crash
// halfway through deleting it cannot leave a partial snapshot under its name.
func (s *Store) removeSnapshot(hexID string) error {
	dir := filepath.Join(s.snapshots, hexID)
	trash := filepath.Join(s.snapshots, ".trash-"+hexID)
	if err := os.Rename(dir, trash); err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	os.Remove(filepath.Join(s.snapshots, ".lock-"+hexID))
	return os.RemoveAll(trash)
}

type liveSet struct {
	blobs     map[v1.Hash]bool
	snapshots map[string]bool // ChainID hex
}

// liveContent is everything the images of the index use.
func (s *Store) liveContent() (liveSet, error) {
	images, err := s.List()
	if err != nil {
		return liveSet{}, err
	}
	live := liveSet{blobs: map[v1.Hash]bool{}, snapshots: map[string]bool{emptySnapshot: true}}
	for _, img := range images {
		live.blobs[img.ManifestDigest] = true
		live.blobs[img.ID] = true
		for _, h := range layerDigests(img) {
			live.blobs[h] = true
		}
		for _, c := range img.ChainIDs {
			live.snapshots[c.Hex] = true
		}
	}
	return live, nil
}

// isTemp reports whether a name in blobs/ or snapshots/ is work in progress.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".")
}
