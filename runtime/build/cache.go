package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cacheIndex maps a step's key to the image the step made. It lives in one
// small file per key under the build-cache directory: the image ID on the
// first line, then the image's config, so that a fully cached build reads
// no image until the last. Each file is written to a temporary name and
// renamed, so a reader sees an entry whole or not at all.
type cacheIndex struct{ dir string }

// stepKey is the classic builder's cache key: the parent image, the
// instruction as it will be recorded, and what else the step depends on
// (build arguments in scope, source contents).
func stepKey(parentID, createdBy, extra string) string {
	h := sha256.New()
	h.Write([]byte(parentID + "\x00" + createdBy + "\x00" + extra))
	return hex.EncodeToString(h.Sum(nil))
}

func (c cacheIndex) get(key string) (string, *v1.ConfigFile, bool) {
	if c.dir == "" {
		return "", nil, false
	}
	b, err := os.ReadFile(filepath.Join(c.dir, key))
	if err != nil {
		return "", nil, false
	}
	id, config, _ := bytes.Cut(b, []byte("\n"))
	if !strings.HasPrefix(string(id), "sha256:") {
		return "", nil, false
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(config))
	if err != nil {
		return "", nil, false
	}
	return string(id), cf, true
}

func (c cacheIndex) put(key, imageID string, config []byte) error {
	if c.dir == "" {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append([]byte(imageID+"\n"), config...))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(c.dir, key))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// forget drops an entry whose image is gone from the store; a failure
// only means the next build looks it up again.
func (c cacheIndex) forget(key string) {
	if c.dir != "" && key != "" {
		_ = os.Remove(filepath.Join(c.dir, key))
	}
}

// staleCacheError is a cache entry whose image the store no longer has
// (pruned): the build drops the entry and starts again.
type staleCacheError struct {
	key string
	err error
}

func (e *staleCacheError) Error() string {
	return fmt.Sprintf("cached image is gone from the store: %v", e.err)
}

func (e *staleCacheError) Unwrap() error { return e.err }
