package image

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// storeLayer stores the (possibly compressed) tar stream r as an
// uncompressed layer blob, checks it has digest want (unless zero), and makes
// its snapshot on top of the layers whose ChainID is parent.
//
// A seekable input is hashed first, without writing anything, so content the
// store holds already costs one read. Otherwise the stream is read once: it
// is unpacked into a fresh snapshot directory while another goroutine writes
// and hashes the blob. Neither becomes visible before the whole stream is
// read, verified and safely unpacked, so a refused tar leaves nothing behind.
func (s *Store) storeLayer(ctx context.Context, r io.Reader, want, parent v1.Hash) (*storedLayer, error) {
	known, digest, err := s.knownLayer(ctx, r, want, parent)
	if known != nil || err != nil {
		return known, err
	}
	if digest == (v1.Hash{}) {
		digest = want
	}
	if digest != (v1.Hash{}) {
		unlock, err := s.lockSnapshot(ChainID(parent, digest))
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	rc, err := decompress(r)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	w, err := s.newBlobWriter()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if digest != (v1.Hash{}) && s.hasSnapshot(ChainID(parent, digest)) {
		_, err = io.CopyBuffer(w, contextReader{ctx, rc}, make([]byte, 1<<20))
	} else {
		err = s.unpackWhileStoring(ctx, rc, w, parent, digest)
	}
	if err != nil {
		return nil, err
	}
	size := w.size
	got, err := w.Commit(digest)
	if err != nil {
		return nil, err
	}
	return &storedLayer{s: s, digest: got, size: size}, nil
}

// unpackWhileStoring unpacks r into a new snapshot and writes r to w at the
// same time, then publishes the snapshot under the ChainID of what was read,
// which must be want unless want is zero.
func (s *Store) unpackWhileStoring(ctx context.Context, r io.Reader, w *blobWriter, parent, want v1.Hash) error {
	tmp, err := os.MkdirTemp(s.snapshots, ".tmp-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "fs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	copier := newAsyncWriter(w)
	stream := bufio.NewReaderSize(io.TeeReader(contextReader{ctx, r}, copier), 1<<20)
	err = unpack(stream, dir)
	if err == nil {
		_, err = io.Copy(io.Discard, stream) // the tar's trailing blocks belong to the blob too
	}
	if closeErr := copier.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	got := w.Digest()
	if want != (v1.Hash{}) && got != want {
		return fmt.Errorf("layer %s: %w: content is %s", want, ErrDigestMismatch, got)
	}
	return s.placeSnapshot(tmp, ChainID(parent, got))
}

// asyncWriter hands copies of what is written to a goroutine, so that the
// blob is written and hashed on one core while the layer is unpacked on
// another.
type asyncWriter struct {
	w    io.Writer
	ch   chan []byte
	done chan error
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{w: w, ch: make(chan []byte, 16), done: make(chan error, 1)}
	go func() {
		var err error
		for buf := range a.ch {
			if err == nil {
				_, err = a.w.Write(buf)
			}
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	a.ch <- append([]byte(nil), p...)
	return len(p), nil
}

// Close waits until everything written has reached the underlying writer.
func (a *asyncWriter) Close() error {
	close(a.ch)
	return <-a.done
}

// knownLayer reads a seekable input once without writing anything: when the
// store already holds the layer (blob and snapshot) it returns it, so that
// importing or loading the same content again costs one read. Otherwise it
// rewinds the input and returns the digest it read, or a zero digest when
// the input cannot be read twice.
func (s *Store) knownLayer(ctx context.Context, r io.Reader, want, parent v1.Hash) (*storedLayer, v1.Hash, error) {
	rs, ok := r.(io.ReadSeeker)
	if f, isFile := r.(*os.File); isFile {
		fi, err := f.Stat()
		ok = err == nil && fi.Mode().IsRegular()
	}
	if !ok {
		return nil, v1.Hash{}, nil
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, v1.Hash{}, nil
	}
	rc, err := decompress(rs)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	h := sha256.New()
	_, err = io.CopyBuffer(h, contextReader{ctx, rc}, make([]byte, 1<<20))
	rc.Close()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	digest := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	if want != (v1.Hash{}) && digest != want {
		return nil, v1.Hash{}, fmt.Errorf("layer %s: %w: content is %s", want, ErrDigestMismatch, digest)
	}
	if fi, err := os.Stat(s.blobPath(digest)); err == nil && s.hasSnapshot(ChainID(parent, digest)) {
		return &storedLayer{s: s, digest: digest, size: fi.Size()}, digest, nil
	}
	_, err = rs.Seek(start, io.SeekStart)
	return nil, digest, err
}
