package build

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// copyEntry is one file, directory or link a COPY or ADD writes, relative
// to the source it comes from ("" is the source itself).
type copyEntry struct {
	rel  string
	hdr  tar.Header // metadata; Name is set when writing
	open func() (io.ReadCloser, error)
	keep bool // owner comes from the source (COPY --from), not from --chown
}

// copySource is one source argument after wildcard expansion.
type copySource struct {
	name    string // base name used when the destination is a directory
	dir     bool   // a directory: its contents are copied, not itself
	archive bool   // ADD of a local tar archive: extracted into the destination
	entries []copyEntry
	digest  string // content and metadata, for the cache key
}

// copySpec is a COPY or ADD once its arguments are expanded.
type copySpec struct {
	dest    string // absolute
	destDir bool   // written with a trailing slash
	sources []*copySource
	chown   string
	chmod   *fs.FileMode
	load    func() error // reads sources that are not needed for the cache key
}

// checkDest enforces Docker's rule for several sources.
func (c *copySpec) checkDest() error {
	if len(c.sources) > 1 && !c.destDir {
		return fmt.Errorf("with more than one source file, the destination must be a directory and end with a /")
	}
	return nil
}

// contextSource turns a context path into a copy source.
func contextSource(c *buildContext, rel string, add bool) (*copySource, error) {
	fi := c.files[rel]
	if rel == "" {
		st, err := os.Lstat(c.root)
		if err != nil {
			return nil, err
		}
		fi = st
	}
	s := &copySource{name: path.Base("/" + rel)}
	if fi.IsDir() {
		s.dir = true
		s.entries = append(s.entries, fileEntry(c, "", rel, fi))
		for _, name := range c.under(rel) {
			sub := strings.TrimPrefix(strings.TrimPrefix(name, rel), "/")
			s.entries = append(s.entries, fileEntry(c, sub, name, c.files[name]))
		}
	} else {
		s.entries = []copyEntry{fileEntry(c, "", rel, fi)}
		if add && fi.Mode().IsRegular() {
			ok, err := isArchive(c.abs(rel))
			if err != nil {
				return nil, err
			}
			s.archive = ok
		}
	}
	return s, s.hash()
}

func fileEntry(c *buildContext, rel, name string, fi fs.FileInfo) copyEntry {
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		link, _ = os.Readlink(c.abs(name))
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		hdr = &tar.Header{Typeflag: tar.TypeReg, Mode: int64(fi.Mode().Perm()), Size: fi.Size(), ModTime: fi.ModTime()}
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	hdr.ModTime = fi.ModTime().Truncate(time.Second)
	e := copyEntry{rel: rel, hdr: *hdr}
	if hdr.Typeflag == tar.TypeReg {
		p := c.abs(name)
		e.open = func() (io.ReadCloser, error) { return os.Open(p) }
	}
	return e
}

// hash digests what the cache key must see of a source: names, types,
// modes, owners kept from the source, link targets and contents, but no
// times.
func (s *copySource) hash() error {
	h := sha256.New()
	fmt.Fprintf(h, "%s %v %v\n", s.name, s.dir, s.archive)
	for _, e := range s.entries {
		fmt.Fprintf(h, "%q %c %o %q %d", e.rel, e.hdr.Typeflag, e.hdr.Mode, e.hdr.Linkname, e.hdr.Size)
		if e.keep {
			fmt.Fprintf(h, " %d:%d", e.hdr.Uid, e.hdr.Gid)
		}
		if e.open != nil {
			rc, err := e.open()
			if err != nil {
				return err
			}
			_, err = io.Copy(h, rc)
			rc.Close()
			if err != nil {
				return err
			}
		}
		h.Write([]byte("\n"))
	}
	s.digest = hex.EncodeToString(h.Sum(nil))
	return nil
}

// contentKey is the part of a COPY's cache key that stands for its sources.
func (c *copySpec) contentKey() string {
	var b strings.Builder
	for _, s := range c.sources {
		b.WriteString(s.digest + "\n")
	}
	return b.String()
}

// summary names the sources the way Docker's history does:
// "file:<digest>", "dir:<digest>" or "multi:<digest>".
func (c *copySpec) summary() string {
	if len(c.sources) == 1 {
		kind := "file"
		if c.sources[0].dir {
			kind = "dir"
		}
		return kind + ":" + c.sources[0].digest
	}
	sum := sha256.Sum256([]byte(c.contentKey()))
	return "multi:" + hex.EncodeToString(sum[:])
}

// writeLayer places every source under the destination in the layer. view
// is the image below; owner applies unless an entry keeps its own.
func (c *copySpec) writeLayer(w *layerWriter, view rootView, owner identity) error {
	dest := view.resolve(c.dest)
	intoDir := c.destDir || view.isDir(c.dest)
	for _, s := range c.sources {
		target := dest
		if !s.dir && !s.archive && intoDir {
			target = path.Join(dest, s.name)
		}
		if s.archive {
			if err := extractArchive(w, s.entries[0], dest); err != nil {
				return err
			}
			continue
		}
		for _, e := range s.entries {
			name := path.Join(target, e.rel)
			if name == "" || (e.rel == "" && s.dir && view.isDir(name)) {
				continue // an existing destination directory keeps its metadata
			}
			if err := c.writeEntry(w, e, name, owner); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *copySpec) writeEntry(w *layerWriter, e copyEntry, name string, owner identity) error {
	hdr := e.hdr
	hdr.Name = name
	if !e.keep {
		hdr.Uid, hdr.Gid = owner.uid, owner.gid
	}
	if c.chmod != nil && hdr.Typeflag != tar.TypeSymlink {
		hdr.Mode = int64(*c.chmod)
	}
	var body io.Reader
	if e.open != nil {
		rc, err := e.open()
		if err != nil {
			return err
		}
		defer rc.Close()
		body = rc
	}
	return w.write(&hdr, body)
}
