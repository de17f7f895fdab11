package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// emptySnapshot names the lower directory of images without layers:
// overlayfs needs at least one.
const emptySnapshot = "empty"

// SnapshotPath returns the directory holding the merged-ready content of the
// layer whose ChainID is chainID (it may not exist yet).
func (s *Store) SnapshotPath(chainID v1.Hash) string {
	return filepath.Join(s.snapshots, chainID.Hex, "fs")
}

func (s *Store) hasSnapshot(chainID v1.Hash) bool {
	_, err := os.Stat(filepath.Join(s.snapshots, chainID.Hex))
	return err == nil
}

// ensureSnapshot unpacks the layer blob into the snapshot chainID unless it
// exists; concurrent callers for the same snapshot wait for one another.
func (s *Store) ensureSnapshot(ctx context.Context, chainID, diffID, blob v1.Hash) error {
	if s.hasSnapshot(chainID) {
		return nil
	}
	unlock, err := s.lockSnapshot(chainID)
	if err != nil {
		return err
	}
	defer unlock()
	if s.hasSnapshot(chainID) {
		return nil
	}
	f, err := os.Open(s.blobPath(blob))
	if err != nil {
		return fmt.Errorf("layer %s: %w", blob, err)
	}
	defer f.Close()
	rc, err := decompress(f)
	if err != nil {
		return fmt.Errorf("layer %s: %w", blob, err)
	}
	defer rc.Close()
	return s.createSnapshot(chainID, func(dir string) error {
		return unpackVerified(ctx, rc, dir, diffID)
	})
}

// lockSnapshot serializes the making of one snapshot, so that concurrent
// writers of the same layer unpack it once.
func (s *Store) lockSnapshot(chainID v1.Hash) (func(), error) {
	return flock(filepath.Join(s.snapshots, ".lock-"+chainID.Hex), unix.LOCK_EX)
}

// unpackVerified unpacks the tar stream r into dir and checks that the whole
// stream has digest diffID.
func unpackVerified(ctx context.Context, r io.Reader, dir string, diffID v1.Hash) error {
	h := sha256.New()
	tee := io.TeeReader(contextReader{ctx, r}, h)
	if err := unpack(tee, dir); err != nil {
		return fmt.Errorf("layer %s: %w", diffID, err)
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return fmt.Errorf("layer %s: %w", diffID, err)
	}
	got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	if diffID != (v1.Hash{}) && got != diffID {
		return fmt.Errorf("layer %s: %w: content is %s", diffID, ErrDigestMismatch, got)
	}
	return nil
}

// createSnapshot fills a fresh directory and renames it into place, so a
// snapshot is either complete or absent. A snapshot that appeared meanwhile
// is kept and the new copy dropped.
func (s *Store) createSnapshot(chainID v1.Hash, fill func(dir string) error) error {
	tmp, err := os.MkdirTemp(s.snapshots, ".tmp-"+chainID.Hex[:12]+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "fs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if err := fill(dir); err != nil {
		return err
	}
	return s.placeSnapshot(tmp, chainID)
}

func (s *Store) placeSnapshot(tmp string, chainID v1.Hash) error {
	err := os.Rename(tmp, filepath.Join(s.snapshots, chainID.Hex))
	if err != nil && (errors.Is(err, fs.ErrExist) || errors.Is(err, unix.ENOTEMPTY)) {
		return nil
	}
	return err
}

// Mount is an overlay mount specification for a container's root filesystem.
type Mount struct {
	Lower []string // snapshot directories, top layer first
	Upper string   // the container's own changes
	Work  string   // overlayfs scratch space, same file system as Upper
}

// Rootfs makes sure every layer of img is unpacked and returns the overlay
// mount of a new root filesystem: the image's snapshots as lower directories
// and fresh upper and work directories under dir. It does not mount; see
// Mount.MountAt and Mount.Options.
func (s *Store) Rootfs(ctx context.Context, img *Image, dir string) (Mount, error) {
	unlock, err := s.lockWrite()
	if err != nil {
		return Mount{}, err
	}
	defer unlock()
	if len(img.Layers) != len(img.ChainIDs) {
		return Mount{}, fmt.Errorf("image %s: %d layers but %d diff IDs", img.ID, len(img.Layers), len(img.ChainIDs))
	}
	m := Mount{Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work")}
	for i := len(img.ChainIDs) - 1; i >= 0; i-- {
		if err := s.ensureSnapshot(ctx, img.ChainIDs[i], img.DiffIDs[i], img.Layers[i].Digest); err != nil {
			return Mount{}, err
		}
		m.Lower = append(m.Lower, s.SnapshotPath(img.ChainIDs[i]))
	}
	if len(m.Lower) == 0 {
		empty := filepath.Join(s.snapshots, emptySnapshot, "fs")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			return Mount{}, err
		}
		m.Lower = []string{empty}
	}
	for _, d := range []string{m.Upper, m.Work} {
		if err := os.RemoveAll(d); err != nil {
			return Mount{}, err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Mount{}, err
		}
	}
	return m, nil
}
