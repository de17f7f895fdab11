package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// imageCLISetup returns the stack binary ($STACK_BIN, or one built into the
// test's temporary directory) and a busybox root-filesystem tarball.
func imageCLISetup(t *testing.T) (bin, busybox string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	bin = os.Getenv("STACK_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "stack")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("build stack: %v\n%s", err, out)
		}
	}
	busybox = filepath.Join(dir, "busybox.tar")
	if out, err := exec.Command("../../examples/base-images/busybox-rootfs.sh", busybox).CombinedOutput(); err != nil {
		t.Fatalf("busybox rootfs: %v\n%s", err, out)
	}
	return bin, busybox
}

type imageCLIRun struct {
	t    *testing.T
	bin  string
	root string
}

func (r imageCLIRun) run(args ...string) (string, error) {
	r.t.Helper()
	cmd := exec.Command(r.bin, append([]string{"--root", r.root, "image"}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r imageCLIRun) must(args ...string) string {
	r.t.Helper()
	out, err := r.run(args...)
	if err != nil {
		r.t.Fatalf("stack image %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestImageCommands(t *testing.T) {
	bin, busybox := imageCLISetup(t)
	r := imageCLIRun{t: t, bin: bin, root: t.TempDir()}

	id := strings.TrimSpace(r.must("import", "-c", `CMD ["sh"]`, "-m", "from the test", busybox, "bb:1"))
	if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
		t.Fatalf("import printed %q, want the image ID", id)
	}
	r.must("tag", "bb:1", "localhost:5000/bb:2")

	lines := strings.Split(strings.TrimSpace(r.must("ls")), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "REPOSITORY TAG IMAGE ID CREATED SIZE" {
		t.Errorf("ls header = %q", lines[0])
	}
	var repos []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if f[2] != id[7:19] {
			t.Errorf("ls row %q: IMAGE ID %q, want %q", l, f[2], id[7:19])
		}
		repos = append(repos, f[0]+":"+f[1])
	}
	if strings.Join(repos, " ") != "bb:1 localhost:5000/bb:2" && strings.Join(repos, " ") != "localhost:5000/bb:2 bb:1" {
		t.Errorf("ls rows %q, want bb:1 and localhost:5000/bb:2", repos)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.must("ls", "--format", "json", "bb")), &rows); err != nil || len(rows) != 1 || rows[0]["Tag"] != "1" {
		t.Errorf("ls --format json bb = %v, %v; want one row with tag 1", rows, err)
	}
	if got := strings.TrimSpace(r.must("inspect", "--format", "{{json .Config.Cmd}} {{.Comment}}", "bb:1")); got != `["sh"] from the test` {
		t.Errorf("inspect --format = %q", got)
	}
	if got := r.must("history", "bb:1"); !strings.Contains(got, id[7:19]) || !strings.Contains(got, "from the test") {
		t.Errorf("history = %q", got)
	}

	archive := filepath.Join(t.TempDir(), "bb.tar")
	r.must("save", "-o", archive, "bb:1")
	if got := r.must("rm", "bb:1"); strings.TrimSpace(got) != "Untagged: bb:1" {
		t.Errorf("rm of one of two names printed %q, want only the untag", got)
	}

	// A container created from the image keeps it.
	containerDir := filepath.Join(r.root, "containers", "c0ffee")
	if err := os.MkdirAll(containerDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(containerDir, "config.json"), []byte(`{"id":"c0ffee","imageId":"`+id+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := r.run("rm", "localhost:5000/bb:2"); err == nil || !strings.Contains(out, "used by a container") {
		t.Errorf("rm of an image in use: %v, %q; want a refusal", err, out)
	}
	if got := r.must("rm", "-f", "localhost:5000/bb:2"); strings.TrimSpace(got) != "Untagged: localhost:5000/bb:2" {
		t.Errorf("rm --force of an image in use printed %q, want only the untag", got)
	}
	if got := r.must("prune"); strings.Contains(got, "deleted:") {
		t.Errorf("prune deleted an image a container uses:\n%s", got)
	}
	if err := os.RemoveAll(containerDir); err != nil {
		t.Fatal(err)
	}
	if got := r.must("prune", "-f"); !strings.Contains(got, "deleted: "+id) || !strings.Contains(got, "Total reclaimed space:") {
		t.Errorf("prune printed %q, want the dangling image deleted", got)
	}
	if got := strings.TrimSpace(r.must("ls", "-q")); got != "" {
		t.Errorf("ls -q after prune = %q, want nothing", got)
	}

	if got := strings.TrimSpace(r.must("load", "-i", archive)); got != "Loaded image: bb:1" {
		t.Errorf("load printed %q", got)
	}
	if got := strings.TrimSpace(r.must("ls", "-q", "--no-trunc")); got != id {
		t.Errorf("ls -q after load = %q, want %s", got, id)
	}
	if out, err := r.run("rm", "nope"); err == nil || !strings.Contains(out, "no such image: nope") {
		t.Errorf("rm nope: %v, %q", err, out)
	}
	if out, err := r.run("import", "-c", "RUN make", busybox); err == nil || !strings.Contains(out, `--change "RUN make"`) {
		t.Errorf("import with a bad --change: %v, %q", err, out)
	}
}
