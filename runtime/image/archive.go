package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
)

// archive is a tar file opened for random access: every entry's content is
// an io.SectionReader over the file, so loading never copies it twice.
type archive struct {
	f       io.ReaderAt
	entries map[string]*tar.Header
	offsets map[string]int64
}

func openArchive(f io.ReaderAt, size int64) (*archive, error) {
	a := &archive{f: f, entries: map[string]*tar.Header{}, offsets: map[string]int64{}}
	counter := &countingReader{r: io.NewSectionReader(f, 0, size)}
	tr := tar.NewReader(counter)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		name := path.Clean(hdr.Name)
		a.entries[name] = hdr
		a.offsets[name] = counter.n
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (a *archive) has(name string) bool {
	_, ok := a.entries[name]
	return ok
}

// open returns the content of name, following symlinks and hard links
// within the archive (docker save links layers shared by several images).
func (a *archive) open(name string) (*io.SectionReader, error) {
	name = path.Clean(name)
	for hops := 0; hops < 16; hops++ {
		hdr, ok := a.entries[name]
		if !ok {
			return nil, fmt.Errorf("archive has no %s", name)
		}
		switch hdr.Typeflag {
		case tar.TypeReg, 0:
			return io.NewSectionReader(a.f, a.offsets[name], hdr.Size), nil
		case tar.TypeSymlink:
			name = path.Clean(path.Join(path.Dir(name), hdr.Linkname))
		case tar.TypeLink:
			name = path.Clean(hdr.Linkname)
		default:
			return nil, fmt.Errorf("archive entry %s is not a file", name)
		}
	}
	return nil, fmt.Errorf("archive entry %s: too many links", name)
}

func (a *archive) read(name string) ([]byte, error) {
	r, err := a.open(name)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
