package image

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// debianCache holds Debian root filesystems shared by test runs, keyed by
// their package list.
const debianCache = "/var/cache/stack-test"

// debianRootfs returns a minimal Debian root-filesystem tarball, made once
// with mmdebstrap and cached; concurrent test binaries wait on a lock.
func debianRootfs(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("a Debian root filesystem takes minutes to make; skipped in -short")
	}
	path := filepath.Join(debianCache, "debian-rootfs-minimal.tar")
	must(t, os.MkdirAll(debianCache, 0o755))
	unlock, err := flock(path+".lock", unix.LOCK_EX)
	must(t, err)
	defer unlock()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skip("mmdebstrap is not installed (apt-get install mmdebstrap)")
	}
	out, err := exec.Command("../../examples/base-images/debian-rootfs.sh", path).CombinedOutput()
	if err != nil {
		t.Skipf("mmdebstrap could not make a Debian root filesystem here: %v: %s", err, out)
	}
	return path
}

func TestImportDebianRootfs(t *testing.T) {
	needRoot(t)
	tarball := debianRootfs(t)
	s := openStore(t)
	img := importFile(t, s, tarball, ImportOptions{Ref: "debian:test"})
	f, err := os.Open(tarball)
	must(t, err)
	want := tarTree(t, f)
	f.Close()
	diffTrees(t, snapshotTree(t, s.SnapshotPath(img.ChainIDs[0])), want)

	root := mountRootfs(t, s, img)
	cmd := exec.Command("/usr/bin/dpkg-query", "-W", "-f", "${Package}\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-query in the mounted image: %v: %s", err, out)
	}
	packages := strings.Fields(string(out))
	if len(packages) < 50 || !strings.Contains(" "+strings.Join(packages, " ")+" ", " apt ") {
		t.Errorf("the image lists %d packages (%q…); want a Debian system with apt", len(packages), packages[:min(5, len(packages))])
	}

	// Importing the same file again reads it once and shares everything.
	again := importFile(t, s, tarball, ImportOptions{Ref: "debian:again"})
	if again.ChainIDs[0] != img.ChainIDs[0] {
		t.Errorf("re-import made layer %s, want %s", again.ChainIDs[0], img.ChainIDs[0])
	}
}
