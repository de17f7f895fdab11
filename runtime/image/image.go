package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image is one image of the store.
type Image struct {
	ID             v1.Hash // digest of the config: what Docker calls the image ID
	ManifestDigest v1.Hash
	MediaType      types.MediaType // of the manifest
	Refs           []string        // canonical references, sorted; none for a dangling image
	Config         *v1.ConfigFile
	Layers         []v1.Descriptor // as the manifest lists them, bottom first
	DiffIDs        []v1.Hash       // digests of the uncompressed layers, bottom first
	ChainIDs       []v1.Hash       // snapshot keys, bottom first
	Size           int64           // bytes of the layer blobs and the config
	Created        time.Time
}

// ShortID is the 12-digit form of the ID that listings show.
func (img *Image) ShortID() string {
	return img.ID.Hex[:12]
}

// ChainIDs computes the OCI ChainIDs of a stack of diff IDs: the first is the
// diff ID itself, each next one the digest of "parent diffID".
func ChainIDs(diffIDs []v1.Hash) []v1.Hash {
	chain := make([]v1.Hash, len(diffIDs))
	for i, diffID := range diffIDs {
		if i == 0 {
			chain[i] = diffID
			continue
		}
		chain[i] = ChainID(chain[i-1], diffID)
	}
	return chain
}

// ChainID is the ChainID of layer diffID on top of the layers whose ChainID is
// parent; a zero parent means diffID is the bottom layer.
func ChainID(parent, diffID v1.Hash) v1.Hash {
	if parent == (v1.Hash{}) {
		return diffID
	}
	sum := sha256.Sum256([]byte(parent.String() + " " + diffID.String()))
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// List returns every image of the store, newest first.
func (s *Store) List() ([]*Image, error) {
	index, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	byManifest := map[v1.Hash]*Image{}
	var images []*Image
	for _, d := range index.Manifests {
		img := byManifest[d.Digest]
		if img == nil {
			if img, err = s.loadImage(d); err != nil {
				return nil, err
			}
			byManifest[d.Digest] = img
			images = append(images, img)
		}
		if name := entryName(d); name != "" {
			img.Refs = append(img.Refs, name)
		}
	}
	for _, img := range images {
		sort.Strings(img.Refs)
	}
	sort.SliceStable(images, func(i, j int) bool {
		if !images[i].Created.Equal(images[j].Created) {
			return images[i].Created.After(images[j].Created)
		}
		return images[i].ID.Hex < images[j].ID.Hex
	})
	return images, nil
}

func (s *Store) loadImage(d v1.Descriptor) (*Image, error) {
	rawManifest, err := s.readBlob(d.Digest)
	if err != nil {
		return nil, err
	}
	manifest, err := v1.ParseManifest(bytes.NewReader(rawManifest))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	rawConfig, err := s.readBlob(manifest.Config.Digest)
	if err != nil {
		return nil, err
	}
	var config v1.ConfigFile
	if err := json.Unmarshal(rawConfig, &config); err != nil {
		return nil, fmt.Errorf("config %s: %w", manifest.Config.Digest, err)
	}
	img := &Image{
		ID:             manifest.Config.Digest,
		ManifestDigest: d.Digest,
		MediaType:      d.MediaType,
		Config:         &config,
		Layers:         manifest.Layers,
		DiffIDs:        config.RootFS.DiffIDs,
		ChainIDs:       ChainIDs(config.RootFS.DiffIDs),
		Size:           manifest.Config.Size,
		Created:        config.Created.Time,
	}
	for _, l := range manifest.Layers {
		img.Size += l.Size
	}
	return img, nil
}

// Get finds an image by reference ("redis", "docker.io/library/redis:7",
// "app@sha256:…"), by ID ("sha256:…") or by an unambiguous prefix of its ID.
// It returns an error that matches ErrNotFound when nothing matches.
func (s *Store) Get(ref string) (*Image, error) {
	index, entry, err := s.lookupName(ref)
	if err != nil {
		return nil, err
	}
	if entry != nil {
		img, err := s.loadImage(*entry)
		if err != nil {
			return nil, err
		}
		for _, d := range index.Manifests {
			if name := entryName(d); name != "" && d.Digest == entry.Digest {
				img.Refs = append(img.Refs, name)
			}
		}
		sort.Strings(img.Refs)
		return img, nil
	}
	images, err := s.List()
	if err != nil {
		return nil, err
	}
	return find(images, ref)
}

// ID returns the ID of the image Get(ref) would return, reading no more
// than the index and one manifest when ref is a name the index holds: what
// a plan needs of each service's image, on every up.
func (s *Store) ID(ref string) (v1.Hash, error) {
	_, entry, err := s.lookupName(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	if entry == nil {
		img, err := s.Get(ref)
		if err != nil {
			return v1.Hash{}, err
		}
		return img.ID, nil
	}
	raw, err := s.readBlob(entry.Digest)
	if err != nil {
		return v1.Hash{}, err
	}
	// Only the config's digest is wanted: a struct of one field decodes
	// far cheaper than the whole manifest model.
	var manifest struct {
		Config struct {
			Digest v1.Hash `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return v1.Hash{}, fmt.Errorf("manifest %s: %w", entry.Digest, err)
	}
	if manifest.Config.Digest == (v1.Hash{}) {
		return v1.Hash{}, fmt.Errorf("manifest %s: no config digest", entry.Digest)
	}
	return manifest.Config.Digest, nil
}

// lookupName finds the index entry named ref, when ref is a name and not an
// ID or digest. A nil entry without error means that the whole store must be
// searched: ref is an ID, a digest, a prefix, or a name the index lacks.
func (s *Store) lookupName(ref string) (*v1.IndexManifest, *v1.Descriptor, error) {
	if _, err := v1.NewHash(ref); err == nil {
		return nil, nil, nil
	}
	canonicalRef, err := Normalize(ref)
	if err != nil {
		return nil, nil, nil
	}
	index, err := s.readIndex()
	if err != nil {
		return nil, nil, err
	}
	for i, d := range index.Manifests {
		if entryName(d) == canonicalRef {
			return index, &index.Manifests[i], nil
		}
	}
	return nil, nil, nil
}

func find(images []*Image, ref string) (*Image, error) {
	if h, err := v1.NewHash(ref); err == nil {
		for _, img := range images {
			if img.ID == h || img.ManifestDigest == h {
				return img, nil
			}
		}
		return nil, notFound(ref)
	}
	if canonicalRef, err := Normalize(ref); err == nil {
		if img := findRef(images, canonicalRef); img != nil {
			return img, nil
		}
	}
	return findPrefix(images, ref)
}

func findRef(images []*Image, canonicalRef string) *Image {
	for _, img := range images {
		for _, r := range img.Refs {
			if r == canonicalRef {
				return img
			}
		}
	}
	if _, digest, ok := strings.Cut(canonicalRef, "@"); ok {
		for _, img := range images {
			if img.ManifestDigest.String() == digest {
				return img
			}
		}
	}
	return nil
}

func findPrefix(images []*Image, ref string) (*Image, error) {
	prefix := strings.TrimPrefix(ref, "sha256:")
	if prefix == "" || len(prefix) > 64 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil, notFound(ref)
	}
	var match *Image
	for _, img := range images {
		if !strings.HasPrefix(img.ID.Hex, prefix) || (match != nil && match.ID == img.ID) {
			continue
		}
		if match != nil {
			return nil, fmt.Errorf("%w: %s", ErrAmbiguous, ref)
		}
		match = img
	}
	if match == nil {
		return nil, notFound(ref)
	}
	return match, nil
}

// V1 returns a go-containerregistry view of an image, read from the store's
// blobs: what push and save use.
func (s *Store) V1(ref string) (v1.Image, error) {
	img, err := s.Get(ref)
	if err != nil {
		return nil, err
	}
	return s.layout.Image(img.ManifestDigest)
}
