package image

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hasBlob reports whether the blob h is present. Presence implies it was
// verified: blobs only enter blobs/ through a verified rename.
func (s *Store) hasBlob(h v1.Hash) bool {
	_, err := os.Stat(s.blobPath(h))
	return err == nil
}

// blobWriter streams content into a temporary file while hashing it. Commit
// moves the file into blobs/ under its digest; Close discards it otherwise.
type blobWriter struct {
	s    *Store
	f    *os.File
	hash hash.Hash
	size int64
	done bool
}

func (s *Store) newBlobWriter() (*blobWriter, error) {
	f, err := os.CreateTemp(s.tmpDir(), "blob-*")
	if err != nil {
		return nil, err
	}
	return &blobWriter{s: s, f: f, hash: sha256.New()}, nil
}

func (w *blobWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.hash.Write(p[:n])
	w.size += int64(n)
	return n, err
}

// Digest is the digest of everything written so far.
func (w *blobWriter) Digest() v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", w.hash.Sum(nil))}
}

// Commit verifies the content against want (unless want is zero) and
// publishes it. A blob that is already present is kept as it is.
func (w *blobWriter) Commit(want v1.Hash) (v1.Hash, error) {
	got := w.Digest()
	if want != (v1.Hash{}) && got != want {
		return got, fmt.Errorf("blob %s: %w: content is %s", want, ErrDigestMismatch, got)
	}
	if err := w.f.Chmod(0o644); err != nil {
		return got, err
	}
	if err := w.f.Close(); err != nil {
		return got, err
	}
	w.done = true
	if w.s.hasBlob(got) {
		return got, os.Remove(w.f.Name())
	}
	if err := os.Rename(w.f.Name(), w.s.blobPath(got)); err != nil {
		os.Remove(w.f.Name())
		return got, err
	}
	return got, nil
}

// Close discards the temporary file unless Commit published it.
func (w *blobWriter) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return os.Remove(w.f.Name())
}

// writeBlob stores the content of r, which must have digest want.
func (s *Store) writeBlob(want v1.Hash, r io.Reader) error {
	if s.hasBlob(want) {
		return nil
	}
	w, err := s.newBlobWriter()
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := io.CopyBuffer(w, r, make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("blob %s: %w", want, err)
	}
	_, err = w.Commit(want)
	return err
}

func (s *Store) writeBlobBytes(want v1.Hash, data []byte) error {
	if s.hasBlob(want) {
		return nil
	}
	w, err := s.newBlobWriter()
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	_, err = w.Commit(want)
	return err
}

func (s *Store) readBlob(h v1.Hash) ([]byte, error) {
	data, err := os.ReadFile(s.blobPath(h))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", h, err)
	}
	return data, nil
}
