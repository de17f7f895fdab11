package build

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// fsView is the merged file tree of an image, read from its layers: what
// COPY needs to know about its destination (is it a directory, do its
// parents exist, who is "app" in /etc/passwd) and, for COPY --from, the
// source files themselves.
type fsView struct {
	entries map[string]*viewEntry // clean path without the leading slash
	layers  []v1.Hash             // diff IDs applied so far
	keep    func(name string) bool
	tmp     string // where kept file contents go
	kept    int
}

type viewEntry struct {
	hdr   *tar.Header
	layer int
	data  string // host file with the content, for kept regular files
	small []byte // content of small files the builder reads (passwd, group)
}

func newView(keep func(string) bool, tmp string) *fsView {
	return &fsView{entries: map[string]*viewEntry{}, keep: keep, tmp: tmp}
}

// update applies the layers of img the view has not seen yet; a view that
// does not match img's layers is rebuilt from the start.
func (v *fsView) update(img v1.Image) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	ids := cf.RootFS.DiffIDs
	if len(ids) < len(v.layers) || !equalHashes(ids[:len(v.layers)], v.layers) {
		v.entries, v.layers = map[string]*viewEntry{}, nil
	}
	for i := len(v.layers); i < len(ids); i++ {
		l, err := img.LayerByDiffID(ids[i])
		if err != nil {
			return err
		}
		rc, err := l.Uncompressed()
		if err != nil {
			return err
		}
		err = v.apply(tar.NewReader(rc), i)
		rc.Close()
		if err != nil {
			return fmt.Errorf("layer %s: %w", ids[i], err)
		}
		v.layers = append(v.layers, ids[i])
	}
	return nil
}

func equalHashes(a, b []v1.Hash) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (v *fsView) apply(tr *tar.Reader, layer int) error {
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == ".wh..wh..opq":
			v.remove(dir, layer, false)
			continue
		case strings.HasPrefix(base, ".wh."):
			v.remove(path.Join(dir, strings.TrimPrefix(base, ".wh.")), layer, true)
			continue
		case name == "":
			continue
		}
		if hdr.Typeflag == tar.TypeLink {
			if target, ok := v.entries[strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/")]; ok {
				copied := *target.hdr
				copied.Name = name
				v.entries[name] = &viewEntry{hdr: &copied, layer: layer, data: target.data, small: target.small}
			}
			continue
		}
		if old, ok := v.entries[name]; ok && old.hdr.Typeflag == tar.TypeDir && hdr.Typeflag != tar.TypeDir {
			v.remove(name, layer+1, true) // a file replacing a directory hides what was below it
		}
		e := &viewEntry{hdr: hdr, layer: layer}
		if err := v.keepContent(name, e, tr); err != nil {
			return err
		}
		v.entries[name] = e
	}
}

// remove drops name (when self) and everything below it that came from a
// layer before layer.
func (v *fsView) remove(name string, layer int, self bool) {
	if self {
		if e, ok := v.entries[name]; ok && e.layer < layer {
			delete(v.entries, name)
		}
	}
	prefix := name + "/"
	if name == "" {
		prefix = ""
	}
	for k, e := range v.entries {
		if strings.HasPrefix(k, prefix) && k != name && e.layer < layer {
			delete(v.entries, k)
		}
	}
}

func (v *fsView) keepContent(name string, e *viewEntry, r io.Reader) error {
	if e.hdr.Typeflag != tar.TypeReg {
		return nil
	}
	if name == "etc/passwd" || name == "etc/group" {
		b, err := io.ReadAll(io.LimitReader(r, 1<<20))
		e.small = b
		return err
	}
	if v.keep == nil || !v.keep(name) {
		return nil
	}
	v.kept++
	e.data = filepath.Join(v.tmp, fmt.Sprintf("from-%d", v.kept))
	f, err := os.Create(e.data)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// resolve follows symbolic links along p inside the view, the way a
// process chrooted into the image would, and returns the real path.
func (v *fsView) resolve(p string) string {
	return resolvePath(p, func(rel string) (string, bool) {
		e, ok := v.entries[rel]
		if !ok || e.hdr.Typeflag != tar.TypeSymlink {
			return "", false
		}
		return e.hdr.Linkname, true
	})
}

// stat returns the entry at p after following symbolic links.
func (v *fsView) stat(p string) (*viewEntry, bool) {
	r := v.resolve(p)
	if r == "" {
		return &viewEntry{hdr: &tar.Header{Typeflag: tar.TypeDir, Mode: 0o755}}, true
	}
	e, ok := v.entries[r]
	return e, ok
}

func (v *fsView) isDir(p string) bool {
	e, ok := v.stat(p)
	return ok && e.hdr.Typeflag == tar.TypeDir
}

// below returns the paths under dir (a resolved path), sorted.
func (v *fsView) below(dir string) []string {
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	var out []string
	for k := range v.entries {
		if strings.HasPrefix(k, prefix) && k != dir {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (v *fsView) file(name string) []byte {
	if e, ok := v.stat(name); ok {
		return e.small
	}
	return nil
}
