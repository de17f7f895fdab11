package build

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// rootView is what COPY, ADD and WORKDIR ask of the image below them.
type rootView interface {
	// resolve follows symbolic links along p inside the image and returns
	// the real path, relative to the root.
	resolve(p string) string
	isDir(p string) bool
	// file returns the content of a small file (/etc/passwd), or nil.
	file(name string) []byte
}

// Snapshotter is implemented by stores that keep each layer unpacked: the
// builder then looks at the image's files in place instead of reading its
// layers.
type Snapshotter interface {
	// Snapshots returns the unpacked layers of an image with these
	// layer diff IDs, top first, with whiteouts in overlayfs form.
	Snapshots(diffIDs []v1.Hash) ([]string, error)
}

// dirView reads an image through its unpacked layers, the way overlayfs
// merges them.
type dirView struct{ lowers []string }

// lstat finds rel (a clean relative path) in the topmost layer that has it.
func (d *dirView) lstat(rel string) (string, fs.FileInfo, bool) {
	if rel == "" {
		return d.lowers[0], nil, true
	}
	for _, l := range d.lowers {
		p := filepath.Join(l, rel)
		fi, err := os.Lstat(p)
		if err == nil {
			if isWhiteout(fi) {
				return "", nil, false
			}
			return p, fi, true
		}
		if hidesBelow(l, rel) {
			return "", nil, false
		}
	}
	return "", nil, false
}

// hidesBelow reports whether a layer covers rel for the layers under it:
// an ancestor of rel in it is opaque, a whiteout or not a directory.
func hidesBelow(layer, rel string) bool {
	for dir := path.Dir(rel); dir != "." && dir != "/"; dir = path.Dir(dir) {
		p := filepath.Join(layer, dir)
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if !fi.IsDir() {
			return true
		}
		buf := make([]byte, 1)
		if n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}

func isWhiteout(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0
}

func (d *dirView) resolve(p string) string {
	return resolvePath(p, func(rel string) (string, bool) {
		full, fi, ok := d.lstat(rel)
		if !ok || fi == nil || fi.Mode()&fs.ModeSymlink == 0 {
			return "", false
		}
		target, err := os.Readlink(full)
		return target, err == nil
	})
}

func (d *dirView) isDir(p string) bool {
	_, fi, ok := d.lstat(d.resolve(p))
	return ok && (fi == nil || fi.IsDir())
}

func (d *dirView) file(name string) []byte {
	full, fi, ok := d.lstat(d.resolve(name))
	if !ok || fi == nil || !fi.Mode().IsRegular() || fi.Size() > 1<<20 {
		return nil
	}
	b, _ := os.ReadFile(full)
	return b
}

// resolvePath follows symbolic links along p, which link reports for a
// real relative path, never leaving the root.
func resolvePath(p string, link func(rel string) (string, bool)) string {
	parts := strings.Split(strings.TrimPrefix(path.Clean("/"+p), "/"), "/")
	cur := ""
	for hops := 0; len(parts) > 0 && hops < 255; {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			if cur = path.Dir(cur); cur == "." {
				cur = ""
			}
			continue
		}
		next := path.Join(cur, part)
		target, ok := link(next)
		if !ok {
			cur = next
			continue
		}
		hops++
		if !path.IsAbs(target) {
			target = path.Join("/", cur, target)
		}
		parts = append(strings.Split(strings.TrimPrefix(path.Clean(target), "/"), "/"), parts...)
		cur = ""
	}
	return cur
}
