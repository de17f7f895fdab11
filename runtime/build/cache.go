package build

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
)

// cacheIndex maps a step's key to the image the step made. It lives in one
// small file per key under the build-cache directory; each is written to a
// temporary name and renamed, so a reader sees an entry whole or not at all.
type cacheIndex struct{ dir string }

// stepKey is the classic builder's cache key: the parent image, the
// instruction as it will be recorded, and what else the step depends on
// (build arguments in scope, source contents).
func stepKey(parentID, createdBy, extra string) string {
	h := sha256.New()
	h.Write([]byte(parentID + "\x00" + createdBy + "\x00" + extra))
	return hex.EncodeToString(h.Sum(nil))
}

func (c cacheIndex) get(key string) (string, bool) {
	if c.dir == "" {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(c.dir, key))
	if err != nil {
		return "", false
	}
	id := strings.TrimSpace(string(b))
	return id, strings.HasPrefix(id, "sha256:")
}

func (c cacheIndex) put(key, imageID string) error {
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
	_, err = f.WriteString(imageID + "\n")
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
	if c.dir != "" {
		_ = os.Remove(filepath.Join(c.dir, key))
	}
}
