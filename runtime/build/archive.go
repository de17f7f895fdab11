package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// isArchive reports whether the file is a tar archive, plain or compressed
// with gzip or bzip2: ADD extracts those.
func isArchive(name string) (bool, error) {
	f, err := os.Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r, err := decompress(bufio.NewReader(f))
	if err != nil {
		return false, nil
	}
	_, err = tar.NewReader(r).Next()
	return err == nil, nil
}

// decompress unwraps gzip or bzip2 by their magic numbers.
func decompress(br *bufio.Reader) (io.Reader, error) {
	magic, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), nil
	}
	return br, nil
}

// extractArchive writes the archive's entries below dest, keeping their
// owners and modes as Docker does.
func extractArchive(w *layerWriter, e copyEntry, dest string) error {
	rc, err := e.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	r, err := decompress(bufio.NewReader(rc))
	if err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("extracting archive: %w", err)
		}
		rel := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if rel == "" {
			continue
		}
		hdr.Name = path.Join(dest, rel)
		if hdr.Typeflag == tar.TypeLink {
			hdr.Linkname = path.Join(dest, strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/"))
		}
		if err := w.write(hdr, tr); err != nil {
			return err
		}
	}
}
