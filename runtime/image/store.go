package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"golang.org/x/sys/unix"
)

// Store is the image store under one --root directory. Its methods are safe
// for concurrent use, also by several processes.
type Store struct {
	dir       string // root/images: the OCI layout
	snapshots string // root/snapshots
	layout    layout.Path
}

// Open opens (creating it if needed) the store under root, stack's --root.
func Open(root string) (*Store, error) {
	s := &Store{
		dir:       filepath.Join(root, "images"),
		snapshots: filepath.Join(root, "snapshots"),
	}
	for _, dir := range []string{s.blobDir(), s.tmpDir(), s.snapshots} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("image store: %w", err)
		}
	}
	s.layout = layout.Path(s.dir)
	if err := s.initLayout(); err != nil {
		return nil, fmt.Errorf("image store %s: %w", s.dir, err)
	}
	return s, nil
}

func (s *Store) initLayout() error {
	marker := filepath.Join(s.dir, "oci-layout")
	if _, err := os.Stat(marker); errors.Is(err, os.ErrNotExist) {
		if err := writeFileAtomic(marker, []byte(`{"imageLayoutVersion":"1.0.0"}`+"\n")); err != nil {
			return err
		}
	}
	if _, err := os.Stat(s.indexPath()); errors.Is(err, os.ErrNotExist) {
		unlock, err := s.lockIndex()
		if err != nil {
			return err
		}
		defer unlock()
		if _, err := os.Stat(s.indexPath()); errors.Is(err, os.ErrNotExist) {
			return s.writeIndex(&v1.IndexManifest{SchemaVersion: 2, MediaType: indexMediaType})
		}
	}
	return nil
}

// Dir returns the directory of the OCI image layout.
func (s *Store) Dir() string { return s.dir }

func (s *Store) blobDir() string   { return filepath.Join(s.dir, "blobs", "sha256") }
func (s *Store) tmpDir() string    { return filepath.Join(s.dir, "tmp") }
func (s *Store) indexPath() string { return filepath.Join(s.dir, "index.json") }
func (s *Store) blobPath(h v1.Hash) string {
	return filepath.Join(s.dir, "blobs", h.Algorithm, h.Hex)
}

// lockIndex serializes read-modify-write cycles of index.json.
func (s *Store) lockIndex() (func(), error) {
	return flock(filepath.Join(s.dir, "index.lock"), unix.LOCK_EX)
}

// lockWrite is held shared by every writer for the time between writing
// content and publishing it in the index, and exclusively by garbage
// collection, so that collection never sees content a writer has not yet
// referenced.
func (s *Store) lockWrite() (func(), error) {
	return flock(filepath.Join(s.dir, "gc.lock"), unix.LOCK_SH)
}

func (s *Store) lockCollect() (func(), error) {
	return flock(filepath.Join(s.dir, "gc.lock"), unix.LOCK_EX)
}

func flock(path string, how int) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// writeFileAtomic writes data to path through a synced temporary file and a
// rename, so that readers see the old content or the new, never a part.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}
