package build

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerWriter writes a layer as a tar file, adding the parent directories
// of each entry that the image below does not have.
type layerWriter struct {
	f       *os.File
	sum     hash.Hash
	size    *countWriter
	tw      *tar.Writer
	written map[string]bool
	exists  func(name string) bool // whether the image below has the directory
	uid     int                    // owner of directories created for parents
	gid     int
	now     time.Time
}

func newLayerWriter(dir string, exists func(string) bool, uid, gid int) (*layerWriter, error) {
	f, err := os.CreateTemp(dir, "layer-*.tar")
	if err != nil {
		return nil, err
	}
	w := &layerWriter{f: f, sum: sha256.New(), size: &countWriter{}, written: map[string]bool{}, exists: exists,
		uid: uid, gid: gid, now: time.Now().UTC().Truncate(time.Second)}
	w.tw = tar.NewWriter(io.MultiWriter(f, w.sum, w.size))
	return w, nil
}

// mkdirs writes the missing parents of name.
func (w *layerWriter) mkdirs(name string) error {
	dir := path.Dir(name)
	if dir == "." || dir == "/" || w.written[dir] || w.exists(dir) {
		return nil
	}
	if err := w.mkdirs(dir); err != nil {
		return err
	}
	return w.write(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, Uid: w.uid, Gid: w.gid, ModTime: w.now}, nil)
}

// write adds one entry; name in hdr is a clean relative path.
func (w *layerWriter) write(hdr *tar.Header, body io.Reader) error {
	if err := w.mkdirs(hdr.Name); err != nil {
		return err
	}
	name := hdr.Name
	h := *hdr
	if h.Typeflag == tar.TypeDir {
		h.Name += "/"
	}
	h.Uname, h.Gname = "", ""
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	if h.Typeflag != tar.TypeReg {
		h.Size = 0
	}
	if err := w.tw.WriteHeader(&h); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeReg && body != nil {
		if _, err := io.Copy(w.tw, body); err != nil {
			return err
		}
	}
	w.written[name] = true
	return nil
}

// layer closes the tar and returns it as a layer backed by the file, or
// nil when nothing was written.
func (w *layerWriter) layer() (v1.Layer, error) {
	if len(w.written) == 0 {
		w.abort()
		return nil, nil
	}
	err := w.tw.Close()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(w.sum.Sum(nil))}
	return &fileLayer{path: w.f.Name(), digest: h, size: w.size.n}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// fileLayer is an uncompressed layer in a file. The store keeps layers
// uncompressed, so compressing here would only be undone there.
type fileLayer struct {
	path   string
	digest v1.Hash
	size   int64
}

func (l *fileLayer) Digest() (v1.Hash, error)             { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)             { return l.digest, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)   { return os.Open(l.path) }
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) { return os.Open(l.path) }
func (l *fileLayer) Size() (int64, error)                 { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error)  { return types.OCIUncompressedLayer, nil }

// abort drops an unfinished layer.
func (w *layerWriter) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}
