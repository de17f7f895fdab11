package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	goruntime "runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Loaded is one image Load stored, with the references the archive gave it.
type Loaded struct {
	Image *Image
	Refs  []string // canonical
}

// Load stores the images of a docker-archive (docker save) or OCI-archive
// (an OCI image layout in a tar), plain or compressed, under the references
// the archive names. Config bytes are kept, so image IDs stay the same.
func (s *Store) Load(ctx context.Context, r io.Reader) ([]Loaded, error) {
	f, size, done, err := s.spool(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer done()
	a, err := openArchive(f, size)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	unlock, err := s.lockWrite()
	if err != nil {
		return nil, err
	}
	defer unlock()
	switch {
	case a.has("manifest.json"):
		return s.loadDocker(ctx, a)
	case a.has("index.json"):
		return s.loadOCI(ctx, a)
	}
	return nil, fmt.Errorf("load: not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)")
}

// spool makes r readable at random: a regular uncompressed file is used in
// place, anything else is decompressed into a temporary file that is
// unlinked at once, so nothing is left behind whatever happens.
func (s *Store) spool(ctx context.Context, r io.Reader) (io.ReaderAt, int64, func(), error) {
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			magic := make([]byte, 6)
			n, _ := f.ReadAt(magic, 0)
			if isPlain(magic[:n]) {
				return f, fi.Size(), func() {}, nil
			}
		}
	}
	rc, err := decompress(r)
	if err != nil {
		return nil, 0, nil, err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(s.tmpDir(), "archive-*")
	if err != nil {
		return nil, 0, nil, err
	}
	os.Remove(tmp.Name())
	size, err := io.CopyBuffer(tmp, contextReader{ctx, rc}, make([]byte, 1<<20))
	if err != nil {
		tmp.Close()
		return nil, 0, nil, err
	}
	return tmp, size, func() { tmp.Close() }, nil
}

func isPlain(magic []byte) bool {
	for _, m := range [][]byte{{0x1f, 0x8b}, {0x28, 0xb5, 0x2f, 0xfd}, []byte("BZh"), {0xfd, '7', 'z'}} {
		if bytes.HasPrefix(magic, m) {
			return false
		}
	}
	return true
}

func (s *Store) loadDocker(ctx context.Context, a *archive) ([]Loaded, error) {
	data, err := a.read("manifest.json")
	if err != nil {
		return nil, err
	}
	var manifest tarball.Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, fmt.Errorf("load: manifest.json: %w", err)
	}
	var loaded []Loaded
	for i, entry := range manifest {
		img, err := s.loadDockerImage(ctx, a, entry)
		if err != nil {
			return loaded, fmt.Errorf("load: manifest.json[%d] (%s): %w", i, entry.Config, err)
		}
		refs, err := normalizeAll(entry.RepoTags)
		if err != nil {
			return loaded, fmt.Errorf("load: manifest.json[%d]: %w", i, err)
		}
		if loaded, err = s.publishLoaded(ctx, loaded, img, refs); err != nil {
			return loaded, err
		}
	}
	return loaded, nil
}

func (s *Store) publishLoaded(ctx context.Context, loaded []Loaded, img v1.Image, refs []string) ([]Loaded, error) {
	desc, err := s.putContent(ctx, img)
	if err != nil {
		return loaded, fmt.Errorf("load: %w", err)
	}
	if err := s.publish(desc, refs); err != nil {
		return loaded, err
	}
	stored, err := s.Get(desc.Digest.String())
	if err != nil {
		return loaded, err
	}
	return append(loaded, Loaded{Image: stored, Refs: refs}), nil
}

// loadDockerImage stores the layers of one docker-archive image uncompressed
// (their digests are then their diff IDs) with their snapshots.
func (s *Store) loadDockerImage(ctx context.Context, a *archive, entry tarball.Descriptor) (v1.Image, error) {
	rawConfig, err := a.read(entry.Config)
	if err != nil {
		return nil, err
	}
	var config v1.ConfigFile
	if err := json.Unmarshal(rawConfig, &config); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	diffIDs := config.RootFS.DiffIDs
	if len(diffIDs) != len(entry.Layers) {
		return nil, fmt.Errorf("%d layers but %d diff IDs in the config", len(entry.Layers), len(diffIDs))
	}
	layers := make([]*storedLayer, len(entry.Layers))
	chain := ChainIDs(diffIDs)
	for i, name := range entry.Layers {
		r, err := a.open(name)
		if err != nil {
			return nil, err
		}
		parent := v1.Hash{}
		if i > 0 {
			parent = chain[i-1]
		}
		if layers[i], err = s.storeLayer(ctx, r, diffIDs[i], parent); err != nil {
			return nil, fmt.Errorf("layer %s: %w", name, err)
		}
	}
	return newOCIImage(rawConfig, layers)
}

func (s *Store) loadOCI(ctx context.Context, a *archive) ([]Loaded, error) {
	data, err := a.read("index.json")
	if err != nil {
		return nil, err
	}
	index, err := v1.ParseIndexManifest(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("load: index.json: %w", err)
	}
	var loaded []Loaded
	for i, desc := range index.Manifests {
		img, err := ociImage(a, desc)
		if err != nil {
			return loaded, fmt.Errorf("load: index.json manifests[%d] (%s): %w", i, desc.Digest, err)
		}
		var refs []string
		if ref := ociRef(desc); ref != "" {
			if refs, err = normalizeAll([]string{ref}); err != nil {
				return loaded, fmt.Errorf("load: index.json manifests[%d]: %w", i, err)
			}
		}
		if loaded, err = s.publishLoaded(ctx, loaded, img, refs); err != nil {
			return loaded, err
		}
	}
	return loaded, nil
}

// ociRef is the reference an OCI index entry names: the full name
// containerd and Docker write, or a ref.name that is itself a full reference.
func ociRef(desc v1.Descriptor) string {
	if name := desc.Annotations[AnnotationName]; name != "" {
		return name
	}
	name := desc.Annotations[AnnotationRefName]
	if _, err := Normalize(name); err == nil && bytes.ContainsAny([]byte(name), ":/") {
		return name
	}
	return ""
}

// ociImage reads the image desc names, choosing this machine's platform from
// an image index.
func ociImage(a *archive, desc v1.Descriptor) (v1.Image, error) {
	raw, err := readVerified(a, desc.Digest)
	if err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		child, err := choosePlatform(raw)
		if err != nil {
			return nil, err
		}
		return ociImage(a, child)
	}
	manifest, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	config, err := readVerified(a, manifest.Config.Digest)
	if err != nil {
		return nil, err
	}
	layers := map[v1.Hash]partial.CompressedLayer{}
	for _, l := range manifest.Layers {
		layers[l.Digest] = &archiveLayer{a: a, desc: l}
	}
	mediaType := desc.MediaType
	if mediaType == "" {
		mediaType = types.OCIManifestSchema1
	}
	return partial.CompressedToImage(&rawImage{mediaType: mediaType, manifest: raw, config: config, layers: layers})
}

func choosePlatform(raw []byte) (v1.Descriptor, error) {
	index, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return v1.Descriptor{}, err
	}
	want := v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}
	for _, m := range index.Manifests {
		if m.Platform == nil || (m.Platform.OS == want.OS && m.Platform.Architecture == want.Architecture) {
			return m, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("no image for %s/%s in the index", want.OS, want.Architecture)
}

func readVerified(a *archive, h v1.Hash) ([]byte, error) {
	data, err := a.read("blobs/" + h.Algorithm + "/" + h.Hex)
	if err != nil {
		return nil, err
	}
	if got := digestOf(data); got != h {
		return nil, fmt.Errorf("blob %s: %w: content is %s", h, ErrDigestMismatch, got)
	}
	return data, nil
}

// archiveLayer is a layer blob inside an OCI archive; Put verifies it.
type archiveLayer struct {
	a    *archive
	desc v1.Descriptor
}

func (l *archiveLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *archiveLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *archiveLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *archiveLayer) Compressed() (io.ReadCloser, error) {
	r, err := l.a.open("blobs/" + l.desc.Digest.Algorithm + "/" + l.desc.Digest.Hex)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(r), nil
}
