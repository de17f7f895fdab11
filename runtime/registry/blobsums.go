package registry

import (
	"encoding/json"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// blobsums remembers, for each plain layer (by diff ID), the digest and size
// of the gzip stream a push made of it, so that a later push can ask the
// registry for that blob before compressing the layer again. An empty dir
// remembers nothing.
type blobsums string

func (b blobsums) path(diffID v1.Hash) string {
	return filepath.Join(string(b), diffID.Algorithm, diffID.Hex+".json")
}

func (b blobsums) get(diffID v1.Hash) (v1.Descriptor, bool) {
	if b == "" {
		return v1.Descriptor{}, false
	}
	data, err := os.ReadFile(b.path(diffID))
	if err != nil {
		return v1.Descriptor{}, false
	}
	var d v1.Descriptor
	if json.Unmarshal(data, &d) != nil || d.Digest.Hex == "" || d.Size <= 0 {
		return v1.Descriptor{}, false
	}
	return d, true
}

// put records a compressed blob; the cache is only a hint, so failing to
// write it is no error.
func (b blobsums) put(diffID v1.Hash, d v1.Descriptor) {
	if b == "" {
		return
	}
	path := b.path(diffID)
	data, err := json.Marshal(d)
	if err != nil || os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil {
		if os.Rename(tmp, path) != nil {
			os.Remove(tmp)
		}
	}
}
