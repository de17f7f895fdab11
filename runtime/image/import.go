package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
