package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func init() {
	register("", "cp", newCpCommand)
}

type cpOptions struct {
	global   *globalOptions
	src, dst string
	index    int
	archive  bool
}

func newCpCommand(g *globalOptions) *cobra.Command {
	o := &cpOptions{global: g}
	cmd := &cobra.Command{
		Use:   "cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH | SRC_PATH SERVICE:DEST_PATH",
		Short: "Copy files between a service's running container and the host",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.src, o.dst = args[0], args[1]
			return runCp(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.index, "index", 0, "which replica of the service (default: the first)")
	f.BoolVarP(&o.archive, "archive", "a", false, "keep owners (uid:gid) of what is copied")
	return cmd
}

// splitServicePath reads SERVICE:PATH; a host path has no service.
func splitServicePath(s string) (service, p string) {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return "", s
	}
	if svc, rest, ok := strings.Cut(s, ":"); ok && svc != "" {
		return svc, rest
	}
	return "", s
}

// runCp copies through the container's root as its init sees it
// (/proc/PID/root), resolving every path with RESOLVE_IN_ROOT so that no
// symbolic link in the container can lead outside it.
func runCp(ctx context.Context, o *cpOptions) error {
	srcSvc, src := splitServicePath(o.src)
	dstSvc, dst := splitServicePath(o.dst)
	if (srcSvc == "") == (dstSvc == "") {
		return errors.New("cp: exactly one of the paths must be SERVICE:PATH")
	}
	if src == "-" || dst == "-" {
		return errors.New("cp: tar streams (-) are not supported")
	}
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	service := srcSvc + dstSvc
	name, err := replicaName(s, service, o.index)
	if err != nil {
		return err
	}
	c, err := s.host.containers.Get(name)
	if err != nil {
		return err
	}
	root, err := unix.Open(fmt.Sprintf("/proc/%d/root", c.State.Pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("container %s: %w", name, err)
	}
	defer unix.Close(root)
	cp := &copier{archive: o.archive}
	if srcSvc != "" {
		return cp.out(root, src, dst)
	}
	return cp.in(src, root, dst)
}

type copier struct{ archive bool }

func inRoot(root int, p string, flags uint64) (int, error) {
	return unix.Openat2(root, strings.TrimPrefix(path.Clean("/"+p), "/"), &unix.OpenHow{
		Flags: flags | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
}

// out copies src from the container to dst on the host.
func (cp *copier) out(root int, src, dst string) error {
	rel := strings.TrimPrefix(path.Clean("/"+src), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := inRoot(root, rel, unix.O_RDONLY)
	if err != nil {
		return fmt.Errorf("cp: %s: %w", src, err)
	}
	f := os.NewFile(uintptr(fd), src)
	defer f.Close()
	if info, err := os.Stat(dst); err == nil && info.IsDir() {
		dst = filepath.Join(dst, path.Base(path.Clean("/"+src)))
	}
	return cp.outFile(f, dst)
}

func (cp *copier) outFile(f *os.File, dst string) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.IsDir() {
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		_, err = io.Copy(out, f)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return cp.owner(dst, info, err)
	}
	if err := os.Mkdir(dst, info.Mode().Perm()); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	entries, err := f.ReadDir(-1)
	if err != nil {
		return err
	}
	for _, e := range entries {
		to := filepath.Join(dst, e.Name())
		if e.Type()&os.ModeSymlink != 0 {
			link, err := readlinkat(int(f.Fd()), e.Name())
			if err != nil {
				return err
			}
			os.Remove(to)
			if err := os.Symlink(link, to); err != nil {
				return err
			}
			continue
		}
		if !e.Type().IsRegular() && !e.IsDir() {
			continue
		}
		fd, err := unix.Openat(int(f.Fd()), e.Name(), unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		child := os.NewFile(uintptr(fd), e.Name())
		err = cp.outFile(child, to)
		child.Close()
		if err != nil {
			return err
		}
	}
	return cp.owner(dst, info, nil)
}

func (cp *copier) owner(p string, info os.FileInfo, err error) error {
	if err != nil || !cp.archive {
		return err
	}
	if st, ok := info.Sys().(*unix.Stat_t); ok {
		return os.Lchown(p, int(st.Uid), int(st.Gid))
	}
	return nil
}

func readlinkat(dirfd int, name string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// in copies src from the host to dst in the container: into dst when it is
// a directory, as dst otherwise.
func (cp *copier) in(src string, root int, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	dir, name := dst, filepath.Base(src)
	if fd, err := inRoot(root, dst, unix.O_PATH|unix.O_DIRECTORY); err == nil {
		unix.Close(fd)
	} else {
		dir, name = path.Dir(path.Clean("/"+dst)), path.Base(path.Clean("/"+dst))
	}
	parent, err := inRoot(root, dir, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("cp: %s: %w", dir, err)
	}
	defer unix.Close(parent)
	return cp.inEntry(src, info, parent, name)
}

func (cp *copier) inEntry(src string, info os.FileInfo, parent int, name string) error {
	mode := uint32(info.Mode().Perm())
	switch {
	case info.Mode()&os.ModeSymlink != 0:
		link, err := os.Readlink(src)
		if err != nil {
			return err
		}
		unix.Unlinkat(parent, name, 0)
		return unix.Symlinkat(link, parent, name)
	case info.IsDir():
		if err := unix.Mkdirat(parent, name, mode); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
		fd, err := unix.Openat(parent, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range entries {
			child, err := os.Lstat(filepath.Join(src, e.Name()))
			if err != nil {
				return err
			}
			if err := cp.inEntry(filepath.Join(src, e.Name()), child, fd, e.Name()); err != nil {
				return err
			}
		}
		return cp.ownerAt(fd, "", info)
	case info.Mode().IsRegular():
		fd, err := unix.Openat(parent, name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
		if err != nil {
			return err
		}
		out := os.NewFile(uintptr(fd), name)
		in, err := os.Open(src)
		if err == nil {
			_, err = io.Copy(out, in)
			in.Close()
		}
		if err == nil {
			err = cp.ownerAt(fd, "", info)
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return nil
}

func (cp *copier) ownerAt(fd int, _ string, info os.FileInfo) error {
	if !cp.archive {
		return nil
	}
	if st, ok := info.Sys().(*unix.Stat_t); ok {
		return unix.Fchown(fd, int(st.Uid), int(st.Gid))
	}
	return nil
}
