package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCopyAndAdd(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, map[string]string{
		"app.py":           "print('hi')\n",
		"requirements.txt": "flask\n",
		"src/a.go":         "package a\n",
		"src/sub/b.go":     "package b\n",
		"src/sub/skip.tmp": "ignored\n",
		"docs/keep.md":     "keep\n",
		"docs/drop.md":     "drop\n",
		"one.txt":          "1",
		"two.txt":          "2",
		".dockerignore":    "**/*.tmp\ndocs/*.md\n!docs/keep.md\n",
	})
	os.Symlink("app.py", filepath.Join(dir, "link.py"))
	os.Chmod(filepath.Join(dir, "app.py"), 0o755)
	writeTarGz(t, filepath.Join(dir, "bundle.tar.gz"), map[string]string{"bundle/x": "x", "bundle/y/z": "z"})

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", time.Unix(1700000000, 0).UTC().Format(http.TimeFormat))
		fmt.Fprint(w, "remote content")
	}))
	defer srv.Close()

	res := e.mustBuild(dir, `FROM busybox
WORKDIR /app
COPY app.py requirements.txt ./
COPY src /code/
COPY src/sub/b.go /single
COPY *.txt /globbed/
COPY --chown=app:app --chmod=640 one.txt /owned/
COPY --chown=1234 two.txt /numeric
COPY docs /docs
COPY link.py /links/
ADD bundle.tar.gz /extracted/
ADD `+srv.URL+`/files/remote.txt /downloads/
COPY <<EOF /heredoc.txt
value=$HOSTNAME_X
EOF
COPY <<"RAW" /raw.txt
value=$HOSTNAME_X
RAW
`, Options{BuildArgs: map[string]string{}})
	tr := tree(t, res.Image)
	tests := []struct {
		path string
		want treeEntry
	}{
		{"/app/app.py", treeEntry{typ: tar.TypeReg, mode: 0o755, content: "print('hi')\n"}},
		{"/app/requirements.txt", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "flask\n"}},
		{"/code/a.go", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "package a\n"}},
		{"/code/sub/b.go", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "package b\n"}},
		{"/code/sub", treeEntry{typ: tar.TypeDir, mode: 0o755}},
		{"/single", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "package b\n"}},
		{"/globbed/one.txt", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "1"}},
		{"/globbed/requirements.txt", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "flask\n"}},
		{"/owned", treeEntry{typ: tar.TypeDir, mode: 0o755, uid: 1000, gid: 1000}},
		{"/owned/one.txt", treeEntry{typ: tar.TypeReg, mode: 0o640, uid: 1000, gid: 1000, content: "1"}},
		{"/numeric", treeEntry{typ: tar.TypeReg, mode: 0o644, uid: 1234, gid: 1234, content: "2"}},
		{"/docs/keep.md", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "keep\n"}},
		{"/links/link.py", treeEntry{typ: tar.TypeSymlink, mode: 0o777, link: "app.py"}},
		{"/extracted/bundle/x", treeEntry{typ: tar.TypeReg, mode: 0o600, uid: 7, gid: 8, content: "x"}},
		{"/extracted/bundle/y/z", treeEntry{typ: tar.TypeReg, mode: 0o600, uid: 7, gid: 8, content: "z"}},
		{"/downloads/remote.txt", treeEntry{typ: tar.TypeReg, mode: 0o600, content: "remote content"}},
		{"/heredoc.txt", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "value=\n"}},
		{"/raw.txt", treeEntry{typ: tar.TypeReg, mode: 0o644, content: "value=$HOSTNAME_X\n"}},
	}
	for _, tt := range tests {
		if got := tr[tt.path]; got != tt.want {
			t.Errorf("%s = %+v, want %+v", tt.path, got, tt.want)
		}
	}
	for _, absent := range []string{"/code/sub/skip.tmp", "/docs/drop.md", "/extracted/bundle.tar.gz", "/globbed/two.txt/"} {
		if _, ok := tr[absent]; ok {
			t.Errorf("%s is in the image, want it left out", absent)
		}
	}
}

func writeTarGz(t testing.TB, name string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for path, content := range files {
		tw.WriteHeader(&tar.Header{Name: path, Mode: 0o600, Size: int64(len(content)), Uid: 7, Gid: 8, Typeflag: tar.TypeReg})
		tw.Write([]byte(content))
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCopyErrors(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, map[string]string{"a": "a", "b": "b", "secret": "s", ".dockerignore": "secret\n"})
	tests := []struct{ dockerfile, want string }{
		{"FROM busybox\nCOPY missing /x\n", "file not found in build context"},
		{"FROM busybox\nCOPY secret /x\n", "excluded by .dockerignore"},
		{"FROM busybox\nCOPY a b /x\n", "the destination must be a directory and end with a /"},
		{"FROM busybox\nCOPY ../a /x\n", "outside the build context"},
		{"FROM busybox\nCOPY --chown=nosuchuser a /x\n", `user "nosuchuser" not found`},
		{"FROM busybox\nCOPY --chmod=9z a /x\n", "--chmod=9z: expected an octal mode"},
		{"FROM busybox\nCOPY --bogus a /x\n", "unknown flag --bogus for COPY"},
		{"FROM busybox\nCOPY http://127.0.0.1:1/x /x\n", "a URL source needs ADD"},
	}
	for _, tt := range tests {
		_, err := e.build(dir, tt.dockerfile, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one containing %q", tt.dockerfile, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "Dockerfile:2") {
			t.Errorf("%q: error %v does not name the line", tt.dockerfile, err)
		}
	}
}

func TestScratch(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, map[string]string{"hello": "world"})
	res := e.mustBuild(dir, "FROM scratch\nCOPY hello /\nCMD [\"/hello\"]\n", Options{Tags: []string{"fromscratch"}})
	tr := tree(t, res.Image)
	if got := tr["/hello"].content; got != "world" || len(tr) != 1 {
		t.Errorf("tree = %+v, want only /hello", tr)
	}
	if _, err := e.build(dir, "FROM scratch\nRUN true\n", Options{}); err == nil || !strings.Contains(err.Error(), "scratch") {
		t.Errorf("RUN on scratch: error %v, want one about the empty image", err)
	}
}

// layersOnly hides the store's snapshots: the builder then reads the
// image's files from its layers.
type layersOnly struct{ Images }

func TestCopyFromLayersWithoutSnapshots(t *testing.T) {
	e := newTestEnv(t)
	e.b.Images = layersOnly{e.b.Images}
	dir := writeContext(t, map[string]string{"f": "data"})
	res := e.mustBuild(dir, "FROM busybox\nWORKDIR /home/app\nCOPY --chown=app f .\nCOPY f /var/run/\n", Options{})
	tr := tree(t, res.Image)
	if got := tr["/home/app/f"]; got.content != "data" || got.uid != 1000 {
		t.Errorf("/home/app/f = %+v, want data owned by app (1000)", got)
	}
	if got := tr["/var/run/f"]; got.content != "data" {
		t.Errorf("/var/run/f = %+v, want data", got)
	}
}
