package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// parallelLayers bounds how many layers Put fetches and unpacks at once.
const parallelLayers = 3

// Put stores img and points refs at it. Blobs already present are not read
// from img again, so an interrupted Put of a remote image resumes where it
// stopped. Every blob is verified against its digest and every layer is
// unpacked into its snapshot (verified against its diff ID) before the image
// becomes visible in the index; without refs the image is kept dangling.
func (s *Store) Put(ctx context.Context, img v1.Image, refs ...string) (*Image, error) {
	canonicalRefs, err := normalizeAll(refs)
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockWrite()
	if err != nil {
		return nil, err
	}
	defer unlock()
	desc, err := s.putContent(ctx, img)
	if err != nil {
		return nil, err
	}
	if err := s.publish(desc, canonicalRefs); err != nil {
		return nil, err
	}
	return s.Get(desc.Digest.String())
}

func normalizeAll(refs []string) ([]string, error) {
	out := make([]string, 0, len(refs))
	for _, ref := range refs {
		canonicalRef, err := Normalize(ref)
		if err != nil {
			return nil, err
		}
		out = append(out, canonicalRef)
	}
	return out, nil
}

// putContent writes the blobs and snapshots of img and returns the
// descriptor of its manifest.
func (s *Store) putContent(ctx context.Context, img v1.Image) (v1.Descriptor, error) {
	rawManifest, err := img.RawManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("manifest: %w", err)
	}
	manifest, err := v1.ParseManifest(bytes.NewReader(rawManifest))
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("manifest: %w", err)
	}
	mediaType, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	rawConfig, err := img.RawConfigFile()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("config: %w", err)
	}
	if got := digestOf(rawConfig); got != manifest.Config.Digest {
		return v1.Descriptor{}, fmt.Errorf("config %s: %w: content is %s", manifest.Config.Digest, ErrDigestMismatch, got)
	}
	var config v1.ConfigFile
	if err := json.Unmarshal(rawConfig, &config); err != nil {
		return v1.Descriptor{}, fmt.Errorf("config %s: %w", manifest.Config.Digest, err)
	}
	if len(config.RootFS.DiffIDs) != len(manifest.Layers) {
		return v1.Descriptor{}, fmt.Errorf("image has %d layers but %d diff IDs", len(manifest.Layers), len(config.RootFS.DiffIDs))
	}
	if err := s.putLayers(ctx, img, manifest.Layers, config.RootFS.DiffIDs); err != nil {
		return v1.Descriptor{}, err
	}
	if err := s.writeBlobBytes(manifest.Config.Digest, rawConfig); err != nil {
		return v1.Descriptor{}, err
	}
	desc := v1.Descriptor{MediaType: mediaType, Size: int64(len(rawManifest)), Digest: digestOf(rawManifest)}
	if err := s.writeBlobBytes(desc.Digest, rawManifest); err != nil {
		return v1.Descriptor{}, err
	}
	return desc, nil
}

func (s *Store) putLayers(ctx context.Context, img v1.Image, layers []v1.Descriptor, diffIDs []v1.Hash) error {
	chain := ChainIDs(diffIDs)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelLayers)
	for i, desc := range layers {
		g.Go(func() error {
			if err := s.fetchLayer(ctx, img, desc); err != nil {
				return fmt.Errorf("layer %s: %w", desc.Digest, err)
			}
			return s.ensureSnapshot(ctx, chain[i], diffIDs[i], desc.Digest)
		})
	}
	return g.Wait()
}

func (s *Store) fetchLayer(ctx context.Context, img v1.Image, desc v1.Descriptor) error {
	if s.hasBlob(desc.Digest) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	layer, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		return err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	return s.writeBlob(desc.Digest, contextReader{ctx, rc})
}

// publish points refs (canonical) at the manifest desc, or keeps it dangling.
func (s *Store) publish(desc v1.Descriptor, refs []string) error {
	return s.updateIndex(func(index *v1.IndexManifest) error {
		for _, ref := range refs {
			setRef(index, desc, ref)
		}
		if len(refs) == 0 {
			keepDangling(index, desc)
		}
		return nil
	})
}

func digestOf(data []byte) v1.Hash {
	sum := sha256.Sum256(data)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// contextReader stops a long copy when its context is cancelled.
type contextReader struct {
	ctx context.Context
	r   interface{ Read([]byte) (int, error) }
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
