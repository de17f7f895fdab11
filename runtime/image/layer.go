package image

import (
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// storedLayer is a v1.Layer whose uncompressed tar is a blob of the store, so
// its digest and diff ID are the same.
type storedLayer struct {
	s      *Store
	digest v1.Hash
	size   int64
}

// Layer returns the stored uncompressed layer blob digest as a v1.Layer, for
// building images out of layers the store already holds (mutate.Append).
func (s *Store) Layer(digest v1.Hash) (v1.Layer, error) {
	fi, err := os.Stat(s.blobPath(digest))
	if err != nil {
		return nil, notFound(digest.String())
	}
	return &storedLayer{s: s, digest: digest, size: fi.Size()}, nil
}

func (l *storedLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *storedLayer) DiffID() (v1.Hash, error) { return l.digest, nil }
func (l *storedLayer) Size() (int64, error)     { return l.size, nil }
func (l *storedLayer) MediaType() (types.MediaType, error) {
	return types.OCIUncompressedLayer, nil
}

func (l *storedLayer) Compressed() (io.ReadCloser, error) {
	return os.Open(l.s.blobPath(l.digest))
}

func (l *storedLayer) Uncompressed() (io.ReadCloser, error) {
	return os.Open(l.s.blobPath(l.digest))
}
