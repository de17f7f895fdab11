package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// CommitLayer turns upperDir, the upper directory of an unmounted overlay
// (whiteouts as 0/0 character devices, opaque directories marked with
// trusted.overlay.opaque=y), into an uncompressed OCI layer stored in the
// store. The tar is deterministic: entries sorted by name, times in whole
// seconds, no access or change times, numeric owners only.
//
// parent is the ChainID of the layers below (zero for a first layer). When
// upperDir is on the store's file system it is moved to become the snapshot
// of the new layer, so a following build step mounts it without unpacking:
// the caller must not use upperDir afterwards.
func (s *Store) CommitLayer(ctx context.Context, upperDir string, parent v1.Hash) (v1.Layer, error) {
	unlock, err := s.lockWrite()
	if err != nil {
		return nil, err
	}
	defer unlock()
	w, err := s.newBlobWriter()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if err := writeLayerTar(ctx, w, upperDir); err != nil {
		return nil, fmt.Errorf("commit %s: %w", upperDir, err)
	}
	size := w.size
	digest, err := w.Commit(v1.Hash{})
	if err != nil {
		return nil, err
	}
	if chainID := ChainID(parent, digest); !s.hasSnapshot(chainID) {
		if err := s.adoptSnapshot(upperDir, chainID); err != nil {
			return nil, err
		}
	}
	return &storedLayer{s: s, digest: digest, size: size}, nil
}

// adoptSnapshot moves dir into place as the snapshot chainID when that is a
// rename; across file systems the snapshot is unpacked from the blob later.
func (s *Store) adoptSnapshot(dir string, chainID v1.Hash) error {
	tmp, err := os.MkdirTemp(s.snapshots, ".tmp-"+chainID.Hex[:12]+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Rename(dir, filepath.Join(tmp, "fs")); err != nil {
		if errors.Is(err, unix.EXDEV) {
			return nil
		}
		return fmt.Errorf("adopt %s as snapshot: %w", dir, err)
	}
	return s.placeSnapshot(tmp, chainID)
}

func writeLayerTar(ctx context.Context, w io.Writer, dir string) error {
	t := &layerTar{ctx: ctx, root: dir, tw: tar.NewWriter(w), links: map[[2]uint64]string{}}
	if err := t.walk("."); err != nil {
		return err
	}
	return t.tw.Close()
}

type layerTar struct {
	ctx   context.Context
	root  string
	tw    *tar.Writer
	links map[[2]uint64]string // device and inode → first name, for hard links
}

func (t *layerTar) walk(dir string) error {
	entries, err := os.ReadDir(filepath.Join(t.root, dir))
	if err != nil {
		return err
	}
	for _, e := range entries { // ReadDir sorts by name
		if err := t.ctx.Err(); err != nil {
			return err
		}
		rel := path.Join(dir, e.Name())
		if err := t.add(rel); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
	}
	return nil
}

func (t *layerTar) add(rel string) error {
	full := filepath.Join(t.root, rel)
	fi, err := os.Lstat(full)
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 {
		return t.header(&tar.Header{Name: path.Join(path.Dir(rel), whiteoutPrefix+path.Base(rel)), Typeflag: tar.TypeReg, ModTime: fi.ModTime()}, nil)
	}
	hdr := &tar.Header{Name: rel, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid), ModTime: fi.ModTime()}
	if capability, err := getXattr(full, "security.capability"); err == nil {
		hdr.PAXRecords = map[string]string{paxXattr + "security.capability": capability}
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		return t.dir(rel, full, hdr)
	case mode.IsRegular():
		return t.file(full, hdr, st)
	case mode&fs.ModeSymlink != 0:
		hdr.Typeflag = tar.TypeSymlink
		if hdr.Linkname, err = os.Readlink(full); err != nil {
			return err
		}
	case mode&fs.ModeNamedPipe != 0:
		hdr.Typeflag = tar.TypeFifo
	case mode&fs.ModeDevice != 0:
		hdr.Typeflag = tar.TypeBlock
		if mode&fs.ModeCharDevice != 0 {
			hdr.Typeflag = tar.TypeChar
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	default:
		return nil // sockets do not belong in images
	}
	return t.header(hdr, nil)
}

func (t *layerTar) dir(rel, full string, hdr *tar.Header) error {
	hdr.Typeflag = tar.TypeDir
	hdr.Name += "/"
	if err := t.header(hdr, nil); err != nil {
		return err
	}
	if opaque, err := getXattr(full, opaqueXattr); err == nil && opaque == "y" {
		wh := &tar.Header{Name: path.Join(rel, whiteoutOpaque), Typeflag: tar.TypeReg, ModTime: hdr.ModTime}
		if err := t.header(wh, nil); err != nil {
			return err
		}
	}
	return t.walk(rel)
}

func (t *layerTar) file(full string, hdr *tar.Header, st *syscall.Stat_t) error {
	if st.Nlink > 1 {
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := t.links[key]; ok {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return t.header(hdr, nil)
		}
		t.links[key] = hdr.Name
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	return t.header(hdr, f)
}

func (t *layerTar) header(hdr *tar.Header, content io.Reader) error {
	hdr.Format = tar.FormatPAX
	hdr.ModTime = hdr.ModTime.Truncate(1e9)
	if err := t.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if content == nil {
		return nil
	}
	n, err := io.Copy(t.tw, content)
	if err == nil && n != hdr.Size {
		err = fmt.Errorf("file changed while it was archived")
	}
	return err
}

func getXattr(full, attr string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Lgetxattr(full, attr, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
}
