package container

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// CopyFrom copies src (a file or directory of the running container) to
// dst on the host, the way docker cp does: into dst when it is an existing
// directory, as dst otherwise. Paths inside the container resolve within
// its root, symbolic links included.
func (s *Store) CopyFrom(ref, src, dst string) error {
	root, err := s.containerRoot(ref)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		dst = filepath.Join(dst, filepath.Base(filepath.Clean("/"+src)))
	}
	return copyOut(root, inRoot(src), dst)
}

// CopyTo copies src on the host into the running container at dst.
func (s *Store) CopyTo(ref, src, dst string) error {
	root, err := s.containerRoot(ref)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	rel := inRoot(dst)
	if fd, err := openat2(root, rel, unix.O_PATH|unix.O_DIRECTORY); err == nil {
		unix.Close(fd)
		rel = filepath.Join(rel, filepath.Base(src))
	}
	return copyIn(root, src, rel)
}

// containerRoot opens the running container's root directory.
func (s *Store) containerRoot(ref string) (int, error) {
	c, err := s.Get(ref)
	if err != nil {
		return -1, err
	}
	if !c.Running() || c.State.Pid <= 0 {
		return -1, fmt.Errorf("%w: %s: copying needs a running container", ErrNotRunning, c.Name)
	}
	fd, err := unix.Open("/proc/"+strconv.Itoa(c.State.Pid)+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("container %s: open its root: %w", c.Name, err)
	}
	return fd, nil
}

func inRoot(p string) string {
	rel := strings.TrimPrefix(filepath.Clean("/"+p), "/")
	if rel == "" {
		return "."
	}
	return rel
}

func openat2(root int, rel string, flags uint64) (int, error) {
	return unix.Openat2(root, rel, &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
}

func copyOut(root int, rel, dst string) error {
	var st unix.Stat_t
	fd, err := openat2(root, rel, unix.O_PATH|unix.O_NOFOLLOW)
	if err != nil {
		return fmt.Errorf("%s: %w", "/"+rel, err)
	}
	defer unix.Close(fd)
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	mode := os.FileMode(st.Mode & 0o7777)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := os.MkdirAll(dst, mode.Perm()|0o700); err != nil {
			return err
		}
		dir, err := openat2(root, rel, unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(dir), rel)
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := copyOut(root, filepath.Join(rel, name), filepath.Join(dst, name)); err != nil {
				return err
			}
		}
		return os.Chmod(dst, mode.Perm())
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return err
		}
		os.Remove(dst)
		return os.Symlink(string(buf[:n]), dst)
	case unix.S_IFREG:
		in, err := openat2(root, rel, unix.O_RDONLY|unix.O_NOFOLLOW)
		if err != nil {
			return err
		}
		src := os.NewFile(uintptr(in), rel)
		defer src.Close()
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm())
		if err != nil {
			return err
		}
		_, err = io.Copy(out, src)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return fmt.Errorf("/%s: only files, directories and links can be copied", rel)
}

func copyIn(root int, src, rel string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	parent, err := openat2(root, filepath.Dir(rel), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("/%s: %w", filepath.Dir(rel), err)
	}
	defer unix.Close(parent)
	name := filepath.Base(rel)
	switch {
	case st.IsDir():
		if err := unix.Mkdirat(parent, name, uint32(st.Mode().Perm())); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := copyIn(root, filepath.Join(src, e.Name()), filepath.Join(rel, e.Name())); err != nil {
				return err
			}
		}
		return nil
	case st.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		unix.Unlinkat(parent, name, 0)
		return unix.Symlinkat(target, parent, name)
	case st.Mode().IsRegular():
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		// O_NOFOLLOW: a link planted at the destination must not send the
		// write elsewhere.
		fd, err := unix.Openat(parent, name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(st.Mode().Perm()))
		if err != nil {
			return fmt.Errorf("/%s: %w", rel, err)
		}
		out := os.NewFile(uintptr(fd), rel)
		_, err = io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return fmt.Errorf("%s: only files, directories and links can be copied", src)
}
