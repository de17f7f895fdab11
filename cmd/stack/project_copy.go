package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// copyImageContent fills a new, empty volume with what the image has at
// the mount target, as Docker does: the layers are laid over each other
// bottom first, and overlay whiteouts delete what lower layers had. lowers
// are the overlay's lower directories, top first.
func copyImageContent(lowers []string, target, dst string) error {
	for i := len(lowers) - 1; i >= 0; i-- {
		src := filepath.Join(lowers[i], filepath.Clean("/"+target))
		info, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !info.IsDir() {
			continue
		}
		if err := copyTree(src, dst); err != nil {
			return err
		}
	}
	return nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if isWhiteout(info) {
			return os.RemoveAll(to)
		}
		if rel == "." {
			return copyMeta(to, info)
		}
		if strings.HasPrefix(d.Name(), ".wh.") {
			return os.RemoveAll(filepath.Join(filepath.Dir(to), strings.TrimPrefix(d.Name(), ".wh.")))
		}
		return copyEntry(path, to, info)
	})
}

// isWhiteout reports an overlayfs whiteout: a 0:0 character device.
func isWhiteout(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && info.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0
}

func copyEntry(from, to string, info fs.FileInfo) error {
	switch mode := info.Mode(); {
	case mode.IsDir():
		if err := os.Mkdir(to, mode.Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case mode&fs.ModeSymlink != 0:
		link, err := os.Readlink(from)
		if err != nil {
			return err
		}
		os.RemoveAll(to)
		if err := os.Symlink(link, to); err != nil {
			return err
		}
	case mode.IsRegular():
		if err := copyFile(from, to, mode.Perm()); err != nil {
			return err
		}
	default:
		return nil // devices, sockets and fifos stay with the image
	}
	return copyMeta(to, info)
}

func copyFile(from, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	os.RemoveAll(to)
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyMeta gives to the owner and mode of info.
func copyMeta(to string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if err := os.Lchown(to, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	return os.Chmod(to, info.Mode().Perm()|info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
}
