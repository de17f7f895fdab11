package image

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// rawImage is a v1.Image made of exact config and manifest bytes, so that
// loading an archive keeps the image ID and manifest digest it had.
type rawImage struct {
	mediaType types.MediaType
	manifest  []byte
	config    []byte
	layers    map[v1.Hash]partial.CompressedLayer
}

func (r *rawImage) MediaType() (types.MediaType, error) { return r.mediaType, nil }
func (r *rawImage) RawManifest() ([]byte, error)        { return r.manifest, nil }
func (r *rawImage) RawConfigFile() ([]byte, error)      { return r.config, nil }

func (r *rawImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := r.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("layer %s is not part of the image", h)
}

// newOCIImage builds an OCI image from a config and uncompressed layers
// already in the store.
func newOCIImage(config []byte, layers []*storedLayer) (v1.Image, error) {
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(config)), Digest: digestOf(config)},
		Layers:        []v1.Descriptor{},
	}
	byDigest := map[v1.Hash]partial.CompressedLayer{}
	for _, l := range layers {
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCIUncompressedLayer, Size: l.size, Digest: l.digest})
		byDigest[l.digest] = l
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&rawImage{mediaType: types.OCIManifestSchema1, manifest: manifest, config: config, layers: byDigest})
}
