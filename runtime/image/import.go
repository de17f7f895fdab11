package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ImportOptions tune Import, as the flags of docker import do.
type ImportOptions struct {
	Ref     string   // reference to give the image; empty leaves it dangling
	Changes []string // Dockerfile instructions applied to the config (--change)
	Message string   // history comment (--message)
	Source  string   // where the tarball came from, for the default comment
}

// Import makes a single-layer image of a root-filesystem tarball, plain or
// gzip, zstd or bzip2 compressed, as docker import does. The layer is stored
// uncompressed; importing the same content again reuses blob and snapshot.
func (s *Store) Import(ctx context.Context, r io.Reader, options ImportOptions) (*Image, error) {
	var refs []string
	if options.Ref != "" {
		refs = []string{options.Ref}
	}
	canonicalRefs, err := normalizeAll(refs)
	if err != nil {
		return nil, err
	}
	config, err := importConfig(options)
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockWrite()
	if err != nil {
		return nil, err
	}
	defer unlock()
	layer, err := s.storeLayer(ctx, r, v1.Hash{}, v1.Hash{})
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	config.RootFS = v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{layer.digest}}
	rawConfig, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	img, err := newOCIImage(rawConfig, []*storedLayer{layer})
	if err != nil {
		return nil, err
	}
	desc, err := s.putContent(ctx, img)
	if err != nil {
		return nil, err
	}
	if err := s.publish(desc, canonicalRefs); err != nil {
		return nil, err
	}
	return s.Get(desc.Digest.String())
}

func importConfig(options ImportOptions) (*v1.ConfigFile, error) {
	now := time.Now().UTC()
	comment := options.Message
	if comment == "" {
		comment = "Imported from " + options.Source
	}
	config := &v1.ConfigFile{
		Architecture: goruntime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: now},
		History:      []v1.History{{Created: v1.Time{Time: now}, Comment: comment}},
	}
	if err := ApplyChanges(&config.Config, options.Changes); err != nil {
		return nil, err
	}
	return config, nil
}

// storeLayer stores the (possibly compressed) tar stream r as an
// uncompressed layer blob, checks it has digest want (unless zero), and makes
// its snapshot on top of the layers whose ChainID is parent. The
// content is spooled to a temporary blob first: when blob and snapshot exist
// already, nothing is unpacked; otherwise the snapshot is unpacked from the
// spooled copy and verified before the blob becomes visible, so a refused tar
// leaves nothing behind.
func (s *Store) storeLayer(ctx context.Context, r io.Reader, want, parent v1.Hash) (*storedLayer, error) {
	rc, err := decompress(r)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	w, err := s.newBlobWriter()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if _, err := io.CopyBuffer(w, contextReader{ctx, rc}, make([]byte, 1<<20)); err != nil {
		return nil, err
	}
	digest, size := w.Digest(), w.size
	if want != (v1.Hash{}) && digest != want {
		return nil, fmt.Errorf("layer %s: %w: content is %s", want, ErrDigestMismatch, digest)
	}
	if err := s.unpackSpooled(ctx, w.f.Name(), ChainID(parent, digest), digest); err != nil {
		return nil, err
	}
	if _, err := w.Commit(digest); err != nil {
		return nil, err
	}
	return &storedLayer{s: s, digest: digest, size: size}, nil
}

func (s *Store) unpackSpooled(ctx context.Context, file string, chainID, diffID v1.Hash) error {
	if s.hasSnapshot(chainID) {
		return nil
	}
	unlock, err := s.lockSnapshot(chainID)
	if err != nil {
		return err
	}
	defer unlock()
	if s.hasSnapshot(chainID) {
		return nil
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.createSnapshot(chainID, func(dir string) error {
		return unpackVerified(ctx, f, dir, diffID)
	})
}
