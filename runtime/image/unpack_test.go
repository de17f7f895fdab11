package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportRefusesUnsafeTars(t *testing.T) {
	needRoot(t)
	outside := t.TempDir()
	deep := strings.Repeat("../", 20) + strings.TrimPrefix(outside, "/")
	tests := []struct {
		name    string
		entries []entry
		unsafe  bool // the error must match ErrUnsafePath
	}{
		{"parent traversal", []entry{file("../escape", "x")}, true},
		{"traversal inside a name", []entry{dir("a/"), file("a/../../escape", "x")}, true},
		{"through an absolute symlink", []entry{symlink("link", outside), file("link/escape", "x")}, true},
		{"through a relative symlink", []entry{symlink("link", deep), file("link/escape", "x")}, true},
		{"directory through a symlink", []entry{symlink("link", outside), dir("link/sub/")}, true},
		{"hard link climbing out", []entry{hardlink("h", "../../../etc/passwd")}, true},
		{"hard link through a symlink", []entry{symlink("link", "/etc"), hardlink("h", "link/passwd")}, true},
		{"hard link to a host file", []entry{hardlink("h", "/etc/passwd")}, false},
		{"whiteout of the parent", []entry{file(".wh..", "")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			_, err := s.Import(context.Background(), bytes.NewReader(makeTar(t, tt.entries...)), ImportOptions{Ref: "evil"})
			if err == nil {
				t.Fatal("import succeeded, want refusal")
			}
			if tt.unsafe && !errors.Is(err, ErrUnsafePath) {
				t.Errorf("error %q does not match ErrUnsafePath", err)
			}
			if !strings.Contains(err.Error(), "entry ") {
				t.Errorf("error %q does not name the entry", err)
			}
			if n := countEntries(t, outside); n != 0 {
				t.Errorf("%d files written outside", n)
			}
			if _, err := os.Stat("/escape"); err == nil {
				t.Errorf("/escape exists")
			}
			assertEmptyStore(t, s)
		})
	}
}

// assertEmptyStore checks that a refused write left nothing visible.
func assertEmptyStore(t *testing.T, s *Store) {
	t.Helper()
	if images, err := s.List(); err != nil || len(images) != 0 {
		t.Errorf("images after refusal: %v, %v", images, err)
	}
	if n := countEntries(t, s.blobDir()); n != 0 {
		t.Errorf("%d blobs after refusal", n)
	}
	if n := countEntries(t, s.tmpDir()); n != 0 {
		t.Errorf("%d temporary blobs after refusal", n)
	}
	snapshots, _ := filepath.Glob(filepath.Join(s.snapshots, "[0-9a-f]*"))
	temps, _ := filepath.Glob(filepath.Join(s.snapshots, ".tmp-*"))
	if len(snapshots)+len(temps) != 0 {
		t.Errorf("snapshots after refusal: %v %v", snapshots, temps)
	}
}

func TestUnpackKeepsNamesInside(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	fifo := entry{name: "dev/fifo", typeflag: tar.TypeFifo, mode: 0o600}
	suid := entry{name: "bin/su", typeflag: tar.TypeReg, body: "su", mode: 0o4755}
	layer := makeTar(t,
		file("/abs/file", "inside"),
		symlink("abs/link", "/etc/passwd"),
		hardlink("abs/hard", "/abs/file"),
		fifo, suid,
		file("dir/replaced", "old"), file("dir/replaced", "new"),
		entry{name: "x", typeflag: tar.TypeReg, body: "x", pax: map[string]string{"SCHILY.xattr.user.k": "v", "SCHILY.xattr.trusted.overlay.redirect": "/etc"}},
	)
	if err := unpack(bytes.NewReader(layer), root); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		path string
		ok   func(os.FileInfo) bool
	}{
		{"abs/file", func(fi os.FileInfo) bool { return fi.Mode().IsRegular() }},
		{"abs/link", func(fi os.FileInfo) bool { return fi.Mode()&os.ModeSymlink != 0 }},
		{"abs/hard", func(fi os.FileInfo) bool { return fi.Sys().(*syscallStat).Nlink == 2 }},
		{"dev/fifo", func(fi os.FileInfo) bool { return fi.Mode()&os.ModeNamedPipe != 0 }},
		{"bin/su", func(fi os.FileInfo) bool { return fi.Mode()&os.ModeSetuid != 0 }},
	}
	for _, c := range checks {
		fi, err := os.Lstat(filepath.Join(root, c.path))
		if err != nil || !c.ok(fi) {
			t.Errorf("%s: %v, %v", c.path, fi, err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(root, "dir/replaced")); string(got) != "new" {
		t.Errorf("dir/replaced = %q, want the later entry %q", got, "new")
	}
	if v, err := getXattr(filepath.Join(root, "x"), "user.k"); err == nil && v != "v" {
		t.Errorf("user.k = %q, want v", v)
	}
	if _, err := getXattr(filepath.Join(root, "x"), "trusted.overlay.redirect"); err == nil {
		t.Errorf("an overlay xattr from the tar was applied")
	}
	if fi, err := os.Stat(filepath.Join(root, "abs/file")); err != nil || !fi.ModTime().Equal(fixedTime) {
		t.Errorf("abs/file mtime %v, want %v", fi.ModTime(), fixedTime)
	}
}

func TestUnpackLaterEntriesWin(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"file replaced by a directory", []entry{file("a", "file"), dir("a/"), file("a/b", "b")}, "a/ a/b=b"},
		{"directory replaced by a file", []entry{dir("d/"), file("d/x", "x"), file("d/y", "y"), file("d", "now a file")}, "d=now a file"},
		{"directory replaced by a symlink", []entry{dir("d/"), file("d/x", "x"), symlink("d", "/elsewhere")}, "d symlink"},
		{"hard link to a file just written", []entry{file("f", "same"), hardlink("g", "f"), file("h", "h")}, "f=same g=same h=h"},
		{"whiteout after the file in one layer", []entry{file("w", "w"), file(".wh.w", "")}, "w whiteout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := unpack(bytes.NewReader(makeTar(t, tt.entries...)), root); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(listTree(t, root), " "); got != tt.want {
				t.Errorf("tree = %q, want %q", got, tt.want)
			}
		})
	}
}

// listTree is tree with symlinks and whiteouts named instead of followed.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			out = append(out, rel+" symlink")
		case fi.Mode()&os.ModeCharDevice != 0 && fi.Sys().(*syscallStat).Rdev == 0:
			out = append(out, rel+" whiteout")
		case fi.IsDir():
			out = append(out, rel+"/")
		default:
			data, _ := os.ReadFile(p)
			out = append(out, rel+"="+string(data))
		}
		return nil
	})
	return out
}
