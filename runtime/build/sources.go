package build

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"stack/runtime/build/dockerfile"
)

// isURL reports whether an ADD source is fetched over HTTP(S).
func isURL(src string) bool {
	return strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")
}

// urlSource downloads an ADD source into dir. Like Docker, the file gets
// mode 0600 and the server's Last-Modified time, and is never extracted.
func urlSource(ctx context.Context, client *http.Client, raw, dir string) (*copySource, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("ADD %s: %w", raw, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ADD %s: %w", raw, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ADD %s: the server answered %s", raw, resp.Status)
	}
	f, err := os.CreateTemp(dir, "url-*")
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("ADD %s: %w", raw, err)
	}
	mtime := time.Unix(0, 0)
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		mtime = lm
	}
	file := f.Name()
	s := &copySource{name: path.Base(u.Path), entries: []copyEntry{{
		hdr:  tar.Header{Typeflag: tar.TypeReg, Mode: 0o600, Size: n, ModTime: mtime},
		open: func() (io.ReadCloser, error) { return os.Open(file) },
	}}}
	if s.name == "/" || s.name == "." {
		s.name = ""
	}
	return s, s.hash()
}

// heredocSource is a COPY <<NAME source: a file called NAME.
func heredocSource(h dockerfile.Heredoc, content string) (*copySource, error) {
	data := []byte(content)
	s := &copySource{name: h.Name, entries: []copyEntry{{
		hdr:  tar.Header{Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)},
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}}}
	return s, s.hash()
}

// imageSources finds a COPY --from source in another image's view. Entries
// keep their owners, as Docker keeps them when no --chown is given.
func imageSources(v *fsView, src string) ([]*copySource, error) {
	rel := strings.TrimPrefix(path.Clean("/"+src), "/")
	var names []string
	if hasWildcard(rel) {
		for name := range v.entries {
			if ok, _ := path.Match(rel, name); ok {
				names = append(names, name)
			}
		}
	} else {
		names = []string{v.resolve(rel)}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no such file in the source image", src)
	}
	var out []*copySource
	for _, name := range names {
		e, ok := v.stat(name)
		if !ok {
			return nil, fmt.Errorf("%s: no such file in the source image", src)
		}
		s := &copySource{name: path.Base("/" + name), dir: e.hdr.Typeflag == tar.TypeDir}
		s.entries = append(s.entries, viewCopyEntry("", e))
		if s.dir {
			for _, sub := range v.below(name) {
				s.entries = append(s.entries, viewCopyEntry(strings.TrimPrefix(strings.TrimPrefix(sub, name), "/"), v.entries[sub]))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func viewCopyEntry(rel string, e *viewEntry) copyEntry {
	c := copyEntry{rel: rel, hdr: *e.hdr, keep: true}
	c.hdr.Name = ""
	if e.hdr.Typeflag == tar.TypeReg {
		data, small := e.data, e.small
		c.open = func() (io.ReadCloser, error) {
			if data == "" {
				return io.NopCloser(bytes.NewReader(small)), nil
			}
			return os.Open(data)
		}
	}
	return c
}
