package image

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var busybox struct {
	once sync.Once
	path string
	err  error
}

// busyboxTar returns a busybox root-filesystem tarball made once per test
// binary by the script the examples use.
func busyboxTar(t *testing.T) string {
	t.Helper()
	busybox.once.Do(func() {
		dir, err := os.MkdirTemp("", "stack-image-test-")
		if err != nil {
			busybox.err = err
			return
		}
		busybox.path = filepath.Join(dir, "busybox.tar")
		out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", busybox.path).CombinedOutput()
		if err != nil {
			busybox.err = &scriptError{err, out}
		}
	})
	if busybox.err != nil {
		t.Skipf("busybox rootfs: %v", busybox.err)
	}
	return busybox.path
}

type scriptError struct {
	err error
	out []byte
}

func (e *scriptError) Error() string { return e.err.Error() + ": " + string(e.out) }

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		runHelper()
		return
	}
	code := m.Run()
	if busybox.path != "" {
		os.RemoveAll(filepath.Dir(busybox.path))
	}
	os.Exit(code)
}

// entry is one crafted tar entry.
type entry struct {
	name     string
	typeflag byte
	body     string
	link     string
	mode     int64
	pax      map[string]string
}

func file(name, body string) entry { return entry{name: name, typeflag: tar.TypeReg, body: body} }
func dir(name string) entry        { return entry{name: name, typeflag: tar.TypeDir} }
func symlink(name, target string) entry {
	return entry{name: name, typeflag: tar.TypeSymlink, link: target}
}
func hardlink(name, target string) entry {
	return entry{name: name, typeflag: tar.TypeLink, link: target}
}

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func makeTar(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
			if e.typeflag == tar.TypeDir {
				mode = 0o755
			}
		}
		hdr := &tar.Header{Name: e.name, Typeflag: e.typeflag, Linkname: e.link, Mode: mode, Size: int64(len(e.body)), ModTime: fixedTime, PAXRecords: e.pax}
		if e.typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
