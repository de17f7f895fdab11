package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	whiteoutOpaque = ".wh..wh..opq"
	opaqueXattr    = "trusted.overlay.opaque"
	paxXattr       = "SCHILY.xattr."
)

// unpacker writes the entries of one layer tar into an empty directory.
//
// Entries are never written through a symlink: every parent directory of an
// entry is checked with lstat (from the root down, remembered once checked)
// to be a real directory, so a tar that plants "link -> /etc" and then
// "link/passwd" is refused instead of writing outside. Names are cleaned and
// a name that climbs above the root ("../x") is refused; an absolute name is
// taken relative to the root, as tar and Docker do.
type unpacker struct {
	root  string
	dirs  map[string]bool // relative paths checked to be real directories
	times []dirTime       // applied last: creating children changes a directory's mtime
	buf   []byte
	files *fileWriters
	seen  map[string]bool // every path an entry has used
}

type dirTime struct {
	rel          string
	atime, mtime time.Time
}

// unpack extracts the layer tar r into root, an empty directory, converting
// whiteouts to the overlayfs form: a 0/0 character device for ".wh.NAME" and
// the trusted.overlay.opaque=y xattr for ".wh..wh..opq".
func unpack(r io.Reader, root string) error {
	u := &unpacker{root: root, dirs: map[string]bool{".": true}, buf: make([]byte, 1<<20), files: newFileWriters(), seen: map[string]bool{".": true}}
	defer u.files.close()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
	}
	return u.finish()
}

func cleanEntry(name string) (string, error) {
	rel := path.Clean(strings.TrimLeft(name, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%w: %q climbs out of the root", ErrUnsafePath, name)
	}
	return rel, nil
}

func (u *unpacker) full(rel string) string {
	return filepath.Join(u.root, filepath.FromSlash(rel))
}

func (u *unpacker) entry(hdr *tar.Header, r io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	rel, err := cleanEntry(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "." {
		if hdr.Typeflag != tar.TypeDir {
			return fmt.Errorf("the root must be a directory")
		}
		return u.meta(hdr, rel)
	}
	parent, base := path.Dir(rel), path.Base(rel)
	if err := u.ensureDir(parent); err != nil {
		return err
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(parent, base)
	}
	full := u.full(rel)
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := u.mkdir(rel); err != nil {
			return err
		}
	case tar.TypeReg, 0:
		return u.regular(hdr, rel, r)
	case tar.TypeSymlink:
		if err := u.replace(rel); err != nil {
			return err
		}
		if err := os.Symlink(hdr.Linkname, full); err != nil {
			return err
		}
	case tar.TypeLink:
		return u.link(rel, hdr.Linkname)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if err := u.replace(rel); err != nil {
			return err
		}
		if err := unix.Mknod(full, nodeType(hdr.Typeflag)|uint32(hdr.Mode&0o7777), int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))); err != nil {
			return fmt.Errorf("mknod: %w", err)
		}
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	return u.meta(hdr, rel)
}

func nodeType(flag byte) uint32 {
	switch flag {
	case tar.TypeChar:
		return unix.S_IFCHR
	case tar.TypeBlock:
		return unix.S_IFBLK
	}
	return unix.S_IFIFO
}

// ensureDir makes sure rel and all its parents are real directories, creating
// missing ones; a symlink on the way is refused.
func (u *unpacker) ensureDir(rel string) error {
	if u.dirs[rel] {
		return nil
	}
	if err := u.ensureDir(path.Dir(rel)); err != nil {
		return err
	}
	if err := u.files.settle(rel); err != nil {
		return err
	}
	var fi fs.FileInfo
	err := fs.ErrNotExist
	if !u.fresh(rel) {
		fi, err = os.Lstat(u.full(rel))
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(u.full(rel), 0o755); err != nil {
			return err
		}
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: %q is a symlink; entries below it could leave the root", ErrUnsafePath, rel)
	case !fi.IsDir():
		return fmt.Errorf("%q is not a directory", rel)
	}
	u.dirs[rel] = true
	return nil
}

func (u *unpacker) mkdir(rel string) error {
	if u.dirs[rel] {
		return nil
	}
	fi, err := os.Lstat(u.full(rel))
	if err == nil && fi.IsDir() {
		u.dirs[rel] = true
		return nil
	}
	if err := u.replace(rel); err != nil {
		return err
	}
	if err := os.Mkdir(u.full(rel), 0o755); err != nil {
		return err
	}
	u.dirs[rel] = true
	return nil
}

// fresh reports whether rel is new to this unpack, and notes it as used.
// The root starts empty and everything in it is made here, so a path never
// used before cannot exist: this spares an lstat for almost every entry.
func (u *unpacker) fresh(rel string) bool {
	if u.seen[rel] {
		return false
	}
	u.seen[rel] = true
	return true
}

// replace removes what rel holds, as a later tar entry replaces an earlier one.
func (u *unpacker) replace(rel string) error {
	if err := u.files.settle(rel); err != nil {
		return err
	}
	if u.fresh(rel) {
		return nil
	}
	full := u.full(rel)
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return os.Remove(full)
	}
	if err := u.files.wait(); err != nil { // files below it may still be in flight
		return err
	}
	for dir := range u.dirs {
		if dir == rel || strings.HasPrefix(dir, rel+"/") {
			delete(u.dirs, dir)
		}
	}
	return os.RemoveAll(full)
}

func (u *unpacker) link(rel, linkname string) error {
	target, err := cleanEntry(linkname)
	if err != nil {
		return err
	}
	if err := u.ensureDir(path.Dir(target)); err != nil {
		return err
	}
	if err := u.files.settle(target); err != nil {
		return err
	}
	fi, err := os.Lstat(u.full(target))
	if err != nil {
		return fmt.Errorf("hard link target %q is not in the layer", linkname)
	}
	if fi.IsDir() {
		return fmt.Errorf("hard link target %q is a directory", linkname)
	}
	if target == rel {
		return nil
	}
	if err := u.replace(rel); err != nil {
		return err
	}
	return os.Link(u.full(target), u.full(rel))
}

func (u *unpacker) whiteout(parent, base string) error {
	if base == whiteoutOpaque {
		return setXattr(u.full(parent), opaqueXattr, "y")
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil // aufs bookkeeping, meaningless for overlayfs
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("%w: whiteout %q names no file", ErrUnsafePath, base)
	}
	rel := path.Join(parent, name)
	if err := u.replace(rel); err != nil {
		return err
	}
	if err := unix.Mknod(u.full(rel), unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("whiteout: %w", err)
	}
	return nil
}

// meta applies owner, mode, xattrs and times of hdr to rel.
func (u *unpacker) meta(hdr *tar.Header, rel string) error {
	full := u.full(rel)
	if err := os.Lchown(full, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	atime := accessTime(hdr)
	if hdr.Typeflag == tar.TypeSymlink {
		return utimes(full, atime, hdr.ModTime)
	}
	if err := unix.Chmod(full, uint32(hdr.Mode&0o7777)); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	for attr, value := range tarXattrs(hdr) {
		if err := setXattr(full, attr, value); err != nil && !errors.Is(err, unix.ENOTSUP) {
			return err
		}
	}
	if hdr.Typeflag == tar.TypeDir {
		u.times = append(u.times, dirTime{rel, atime, hdr.ModTime})
		return nil
	}
	return utimes(full, atime, hdr.ModTime)
}

func (u *unpacker) finish() error {
	if err := u.files.close(); err != nil {
		return err
	}
	for i := len(u.times) - 1; i >= 0; i-- {
		t := u.times[i]
		if !u.dirs[t.rel] {
			continue // replaced by a later entry
		}
		if err := utimes(u.full(t.rel), t.atime, t.mtime); err != nil {
			return fmt.Errorf("entry %q: %w", t.rel, err)
		}
	}
	return nil
}
