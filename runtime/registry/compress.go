package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
)

// gzipped is the compressed media type for each plain layer type.
var gzipped = map[types.MediaType]types.MediaType{
	types.OCIUncompressedLayer:    types.OCILayer,
	types.DockerUncompressedLayer: types.DockerLayer,
}

// compressor turns the plain layers of an image into gzip ones for a push.
type compressor struct {
	dir      string                     // where the compressed layers are kept during the push
	sums     blobsums                   // compressed digests of earlier pushes
	inTarget func(d v1.Descriptor) bool // whether the registry has this blob
	p        *progress
}

// compressLayers returns img with its plain layers gzip compressed, the way
// Docker pushes them: the store keeps the layers it builds and imports
// uncompressed, registries and their clients expect them compressed. The
// config bytes stay as they are, so the image keeps its ID; only the
// manifest changes. A layer whose earlier compression the registry already
// holds is not compressed again.
func (c *compressor) compressLayers(ctx context.Context, img v1.Image) (v1.Image, error) {
	manifest, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	config, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	out := manifest.DeepCopy()
	layers := map[v1.Hash]partial.CompressedLayer{}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelTransfers)
	compressed := make([]*gzipLayer, len(manifest.Layers))
	for i, desc := range manifest.Layers {
		target, plain := gzipped[desc.MediaType]
		layer, err := img.LayerByDigest(desc.Digest)
		if err != nil {
			return nil, err
		}
		if !plain {
			layers[desc.Digest] = layer
			continue
		}
		diffID := config.RootFS.DiffIDs[i]
		if known, ok := c.sums.get(diffID); ok && known.MediaType == target && c.inTarget(known) {
			compressed[i] = &gzipLayer{digest: known.Digest, size: known.Size, mediaType: target}
			continue
		}
		g.Go(func() error {
			c.p.set(shortID(desc.Digest.String()), statusCompressing, desc.Size)
			l, err := gzipToFile(ctx, layer, filepath.Join(c.dir, desc.Digest.Hex), target)
			if err == nil {
				c.sums.put(diffID, v1.Descriptor{MediaType: target, Digest: l.digest, Size: l.size})
			}
			compressed[i] = l
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if !anyCompressed(compressed) {
		return img, nil
	}
	for i, l := range compressed {
		if l != nil {
			out.Layers[i] = v1.Descriptor{MediaType: l.mediaType, Digest: l.digest, Size: l.size}
			layers[l.digest] = l
		}
	}
	rawManifest, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	rawConfig, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	mediaType, err := img.MediaType()
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&compressedImage{mediaType: mediaType, manifest: rawManifest, config: rawConfig, layers: layers})
}

func anyCompressed(layers []*gzipLayer) bool {
	for _, l := range layers {
		if l != nil {
			return true
		}
	}
	return false
}

// gzipToFile compresses a layer into path and hashes the result on the way.
func gzipToFile(ctx context.Context, layer v1.Layer, path string, mediaType types.MediaType) (*gzipLayer, error) {
	rc, err := layer.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	counter := &countingWriter{}
	zw, err := gzip.NewWriterLevel(io.MultiWriter(f, h, counter), gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(zw, contextReader{ctx, rc}); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	digest := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	return &gzipLayer{path: path, digest: digest, size: counter.n, mediaType: mediaType}, nil
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// contextReader stops a long copy when the push is cancelled.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// gzipLayer is a compressed layer kept in a file for the push, or only
// described (no path) when the registry already has it.
type gzipLayer struct {
	path      string
	digest    v1.Hash
	size      int64
	mediaType types.MediaType
}

func (l *gzipLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *gzipLayer) Size() (int64, error)                { return l.size, nil }
func (l *gzipLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *gzipLayer) Compressed() (io.ReadCloser, error) {
	if l.path == "" {
		return nil, fmt.Errorf("layer %s was expected in the registry", l.digest)
	}
	return os.Open(l.path)
}

// compressedImage is an image from its raw manifest, raw config and layers.
type compressedImage struct {
	mediaType types.MediaType
	manifest  []byte
	config    []byte
	layers    map[v1.Hash]partial.CompressedLayer
}

func (i *compressedImage) MediaType() (types.MediaType, error) { return i.mediaType, nil }
func (i *compressedImage) RawManifest() ([]byte, error)        { return i.manifest, nil }
func (i *compressedImage) RawConfigFile() ([]byte, error)      { return i.config, nil }

func (i *compressedImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("image has no layer %s", h)
}
