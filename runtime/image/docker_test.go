package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// dockerd is a private Docker daemon started for one test.
type dockerd struct {
	sock string
}

func startDockerd(t *testing.T) *dockerd {
	t.Helper()
	needRoot(t)
	bin, err := exec.LookPath("dockerd")
	if err != nil {
		t.Skip("dockerd is not installed")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("the docker client is not installed")
	}
	dir, err := os.MkdirTemp("", "stack-dockerd-")
	if err != nil {
		t.Fatal(err)
	}
	d := &dockerd{sock: filepath.Join(dir, "sock")}
	logFile, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "pid"), "-H", "unix://"+d.sock)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("dockerd log:\n%s", log)
		}
		unmountUnder(filepath.Join(dir, "data"))
		os.RemoveAll(dir)
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := d.run("version"); err == nil {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("dockerd did not answer on %s within 60s", d.sock)
		}
	}
}

// unmountUnder detaches whatever the daemon left mounted below dir.
func unmountUnder(dir string) {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	lines := strings.Split(string(data), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		fields := strings.Fields(lines[i])
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir) {
			syscall.Unmount(fields[4], syscall.MNT_DETACH)
		}
	}
}

func (d *dockerd) run(args ...string) ([]byte, error) {
	cmd := exec.Command("docker", append([]string{"-H", "unix://" + d.sock}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

func (d *dockerd) must(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := d.run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type dockerImage struct {
	ID     string    `json:"Id"`
	Config v1.Config `json:"Config"`
	RootFS struct {
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
}

func (d *dockerd) inspect(t *testing.T, ref string) dockerImage {
	t.Helper()
	var images []dockerImage
	if err := json.Unmarshal(d.must(t, "image", "inspect", ref), &images); err != nil || len(images) != 1 {
		t.Fatalf("docker image inspect %s: %v", ref, err)
	}
	return images[0]
}

// exportTree lists the file tree of a container made from ref, without the
// files Docker adds to every container.
func (d *dockerd) exportTree(t *testing.T, ref string) []string {
	t.Helper()
	id := strings.TrimSpace(string(d.must(t, "create", ref, "/bin/true")))
	defer d.run("rm", id)
	out := d.must(t, "export", id)
	return tarTree(t, bytes.NewReader(out))
}

var dockerAdded = map[string]bool{".dockerenv": true, "dev/console": true, "dev/pts/": true, "dev/shm/": true, "etc/hostname": true, "etc/hosts": true, "etc/resolv.conf": true, "etc/mtab": true}

func tarTree(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	files := map[string]*tar.Header{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(hdr.Name, "./"), "/")
		if name == "" || dockerAdded[name] {
			continue
		}
		if hdr.Typeflag == tar.TypeLink { // a hard link lists as the file it shares
			target := files[strings.TrimPrefix(strings.TrimPrefix(hdr.Linkname, "./"), "/")]
			if target == nil {
				t.Fatalf("%s: hard link to %s, which precedes it nowhere", hdr.Name, hdr.Linkname)
			}
			linked := *target
			linked.Name = hdr.Name
			hdr = &linked
		}
		files[name] = hdr
		fi := hdr.FileInfo()
		out = append(out, treeLine(name, fi.Mode(), hdr.Uid, hdr.Gid, hdr.Size, hdr.Linkname))
	}
	sort.Strings(out)
	return out
}

func treeLine(name string, mode os.FileMode, uid, gid int, size int64, link string) string {
	if mode.IsDir() {
		return fmt.Sprintf("%s/ %v %d:%d", strings.TrimSuffix(name, "/"), mode.Perm(), uid, gid)
	}
	if !mode.IsRegular() {
		size = 0
	}
	return fmt.Sprintf("%s %v %d:%d %d %s", name, mode, uid, gid, size, link)
}

// snapshotTree lists the tree under dir the way tarTree lists a tar.
func snapshotTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st := fi.Sys().(*syscall.Stat_t)
		link, _ := os.Readlink(p)
		if !dockerAdded[rel] && !dockerAdded[rel+"/"] {
			out = append(out, treeLine(rel, fi.Mode(), int(st.Uid), int(st.Gid), fi.Size(), link))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func diffTrees(t *testing.T, got, want []string) {
	t.Helper()
	g, w := strings.Join(got, "\n"), strings.Join(want, "\n")
	if g == w {
		return
	}
	wantSet := map[string]bool{}
	for _, l := range want {
		wantSet[l] = true
	}
	gotSet := map[string]bool{}
	for _, l := range got {
		gotSet[l] = true
	}
	var diffs []string
	for _, l := range got {
		if !wantSet[l] {
			diffs = append(diffs, "+ "+l)
		}
	}
	for _, l := range want {
		if !gotSet[l] {
			diffs = append(diffs, "- "+l)
		}
	}
	if len(diffs) > 20 {
		diffs = append(diffs[:20], "…")
	}
	t.Errorf("file trees differ (+ ours, - Docker's):\n%s", strings.Join(diffs, "\n"))
}

func TestDockerLoadsOurArchives(t *testing.T) {
	d := startDockerd(t)
	s := openStore(t)
	img := importFile(t, s, busyboxTar(t), ImportOptions{Ref: "stack-test/busybox:ours", Changes: []string{`CMD ["sh"]`, "ENV A=1", "LABEL x=y"}})
	for _, format := range []Format{FormatDocker, FormatOCI} {
		t.Run(format.String(), func(t *testing.T) {
			archive := filepath.Join(t.TempDir(), "save.tar")
			f, err := os.Create(archive)
			must(t, err)
			must(t, s.Save(context.Background(), f, []string{"stack-test/busybox:ours"}, format))
			must(t, f.Close())
			d.must(t, "load", "-i", archive)
			got := d.inspect(t, "stack-test/busybox:ours")
			if got.ID != img.ID.String() {
				t.Errorf("docker image ID %s, ours %s", got.ID, img.ID)
			}
			if strings.Join(got.RootFS.Layers, ",") != img.DiffIDs[0].String() {
				t.Errorf("docker layers %v, ours %v", got.RootFS.Layers, img.DiffIDs)
			}
			if fmt.Sprint(got.Config.Cmd, got.Config.Env, got.Config.Labels) != fmt.Sprint(img.Config.Config.Cmd, img.Config.Config.Env, img.Config.Config.Labels) {
				t.Errorf("docker config %+v, ours %+v", got.Config, img.Config.Config)
			}
			diffTrees(t, snapshotTree(t, s.SnapshotPath(img.ChainIDs[0])), d.exportTree(t, "stack-test/busybox:ours"))
			d.must(t, "rmi", "stack-test/busybox:ours")
		})
	}
}

func TestWeLoadDockerArchives(t *testing.T) {
	d := startDockerd(t)
	d.must(t, "import", "--change", `CMD ["sh"]`, "--change", "ENV B=2", busyboxTar(t), "stack-test/busybox:base")
	// A second layer made by Docker, with a whiteout and an opaque directory.
	id := strings.TrimSpace(string(d.must(t, "create", "--network", "none", "stack-test/busybox:base",
		"sh", "-c", "rm /etc/group && rm -rf /home && mkdir /home && echo new >/home/new && echo hi >/etc/motd")))
	if _, err := d.run("start", "-a", id); err != nil {
		t.Skipf("this host cannot run Docker containers: %v", err)
	}
	d.must(t, "commit", id, "stack-test/busybox:docker")
	d.must(t, "rm", id)
	archive := filepath.Join(t.TempDir(), "docker.tar")
	d.must(t, "save", "-o", archive, "stack-test/busybox:docker")
	want := d.inspect(t, "stack-test/busybox:docker")

	s := openStore(t)
	f, err := os.Open(archive)
	must(t, err)
	defer f.Close()
	loaded, err := s.Load(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 1 || len(loaded[0].Refs) != 1 || loaded[0].Refs[0] != "docker.io/stack-test/busybox:docker" {
		t.Fatalf("loaded %+v, want one image named docker.io/stack-test/busybox:docker", loaded)
	}
	img := loaded[0].Image
	if img.ID.String() != want.ID {
		t.Errorf("our image ID %s, Docker's %s", img.ID, want.ID)
	}
	if len(img.DiffIDs) != 2 || strings.Join(want.RootFS.Layers, ",") != img.DiffIDs[0].String()+","+img.DiffIDs[1].String() {
		t.Errorf("our layers %v, Docker's %v", img.DiffIDs, want.RootFS.Layers)
	}
	if fmt.Sprint(img.Config.Config.Cmd, img.Config.Config.Env) != fmt.Sprint(want.Config.Cmd, want.Config.Env) {
		t.Errorf("our config %+v, Docker's %+v", img.Config.Config, want.Config)
	}
	got := snapshotTree(t, mountRootfs(t, s, img))
	if len(got) < 100 {
		t.Fatalf("merged tree has %d entries; the comparison needs the whole busybox tree", len(got))
	}
	diffTrees(t, got, d.exportTree(t, "stack-test/busybox:docker"))
}
