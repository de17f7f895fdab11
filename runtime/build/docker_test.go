package build

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// dockerd is a private Docker daemon for one test: its own data, exec
// root and socket, no iptables, no bridge.
type dockerd struct {
	t    *testing.T
	cli  string
	dir  string
	sock string
}

func startDockerd(t *testing.T) *dockerd {
	t.Helper()
	needRoot(t)
	daemon, err := exec.LookPath("dockerd")
	if err != nil {
		t.Skip("dockerd is absent: no side-by-side comparison with Docker's classic builder")
	}
	cli := "/usr/bin/docker"
	if _, err := os.Stat(cli); err != nil {
		if cli, err = exec.LookPath("docker"); err != nil {
			t.Skip("the docker client is absent")
		}
	}
	dir, err := os.MkdirTemp("", "stack-build-docker-")
	if err != nil {
		t.Fatal(err)
	}
	d := &dockerd{t: t, cli: cli, dir: dir, sock: filepath.Join(dir, "sock")}
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root", filepath.Join(dir, "d"), "--exec-root", filepath.Join(dir, "e"),
		"--pidfile", filepath.Join(dir, "pid"), "-H", "unix://"+d.sock)
	cmd.Stdout, cmd.Stderr = log, log
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
			cmd.Process.Kill()
			<-done
		}
		log.Close()
		unmountUnder(dir)
		os.RemoveAll(dir)
	})
	for i := 0; ; i++ {
		if err := exec.Command(cli, "-H", "unix://"+d.sock, "version").Run(); err == nil {
			return d
		}
		if i == 240 { // a minute, on a loaded machine
			out, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("dockerd did not start:\n%s", out)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (d *dockerd) run(stdin string, args ...string) string {
	d.t.Helper()
	cmd := exec.Command(d.cli, append([]string{"-H", "unix://" + d.sock}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		d.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// image saves a Docker image and reads it back as a v1.Image.
func (d *dockerd) image(ref string) v1.Image {
	d.t.Helper()
	path := filepath.Join(d.t.TempDir(), "saved.tar")
	d.run("", "save", "-o", path, ref)
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	return img
}

// sideBySide are Dockerfiles that Docker's classic builder understands
// (no heredocs, no --chmod), run on busybox by both builders.
var sideBySide = []struct {
	name       string
	files      map[string]string
	dockerfile string
	setup      func(t testing.TB, dir string)
}{
	{"tutorial", map[string]string{"app.py": "print('hi')\n", "requirements.txt": "Flask\nRedis\n"}, `FROM busybox
WORKDIR /app
ADD . /app
RUN sed 's/^/python3-/' requirements.txt | tr 'A-Z' 'a-z' > /app/packages.txt
EXPOSE 80
ENV NAME World
CMD ["python", "app.py"]
`, nil},
	{"metadata", nil, `FROM busybox
ARG V=1
ENV A=$V B="two words"
LABEL a=b "c d"=e
USER app:app
VOLUME /data ["/x"]
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD true
RUN true
SHELL ["/bin/sh", "-xc"]
ENTRYPOINT echo hi
ONBUILD RUN true
EXPOSE 53/udp 8080
WORKDIR relative
`, nil},
	{"copy", map[string]string{"a/b/c.txt": "c", "a/d.txt": "d", "top.txt": "t", "skip.log": "s", "keep.log": "k",
		".dockerignore": "*.log\n!keep.log\n"}, `FROM busybox
COPY a /copied/
COPY a/ /dir
COPY *.txt /glob/
COPY keep.log /renamed.log
COPY --chown=app:users top.txt /owned/
COPY --chown=1234:4321 a /numeric/
COPY . /everything/
RUN mkdir -p /made/sub && echo x > /made/sub/file && ln -s /made/sub /made/link && rm -f /bin/ls
`, nil},
	{"multistage", map[string]string{"src": "source"}, `FROM busybox AS build
COPY src /src
RUN cp /src /built && chown 1000:1000 /built && chmod 600 /built
FROM busybox
COPY --from=build /built /out/
COPY --from=build /src /out/src-copy
`, nil},
	{"add", map[string]string{"plain.txt": "p", "conf/x.conf": "x"}, `FROM busybox
ADD bundle.tar.gz /extracted/
ADD bundle.tar.gz /tmp
ADD plain.txt /plain/
ADD conf/ /etc/
WORKDIR /etc
WORKDIR /new/deeper
COPY plain.txt .
`, func(t testing.TB, dir string) {
		writeTarGz(t, filepath.Join(dir, "bundle.tar.gz"), map[string]string{"bundle/a": "a", "bundle/sub/b": "b"})
	}},
}

func TestSideBySideWithDocker(t *testing.T) {
	d := startDockerd(t)
	e := newTestEnv(t)
	bb := busyboxTar(t)
	d.run("", "import", bb, "busybox:latest")
	for _, tt := range sideBySide {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeContext(t, tt.files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(tt.dockerfile), 0o644)
			tag := "cmp-" + tt.name
			d.run("", "build", "--network=none", "-t", tag, dir)
			theirs := d.image(tag)
			ours := e.mustBuild(dir, tt.dockerfile, Options{Network: "none"}).Image
			compareConfigs(t, configOf(t, ours), configOf(t, theirs))
			compareTrees(t, tree(t, ours), tree(t, theirs))
		})
	}
}

func compareConfigs(t *testing.T, ours, theirs *v1.ConfigFile) {
	t.Helper()
	a, b := ours.Config, theirs.Config
	fields := []struct {
		name      string
		got, want any
	}{
		{"Env", a.Env, b.Env}, {"Cmd", a.Cmd, b.Cmd}, {"Entrypoint", a.Entrypoint, b.Entrypoint},
		{"WorkingDir", a.WorkingDir, b.WorkingDir}, {"User", a.User, b.User},
		{"ExposedPorts", a.ExposedPorts, b.ExposedPorts}, {"Volumes", a.Volumes, b.Volumes},
		{"Labels", a.Labels, b.Labels}, {"StopSignal", a.StopSignal, b.StopSignal},
		{"Healthcheck", a.Healthcheck, b.Healthcheck}, {"OnBuild", a.OnBuild, b.OnBuild},
		{"Shell", a.Shell, b.Shell},
		{"layers", len(ours.RootFS.DiffIDs), len(theirs.RootFS.DiffIDs)},
		{"history", historyShape(ours), historyShape(theirs)},
	}
	for _, f := range fields {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: ours %#v, Docker's %#v", f.name, f.got, f.want)
		}
	}
}

// historyShape is the part of the history both builders must agree on:
// which steps made a layer.
func historyShape(cf *v1.ConfigFile) []bool {
	var out []bool
	for _, h := range cf.History {
		out = append(out, h.EmptyLayer)
	}
	return out
}

func compareTrees(t *testing.T, ours, theirs map[string]treeEntry) {
	t.Helper()
	var names []string
	for name := range ours {
		names = append(names, name)
	}
	for name := range theirs {
		if _, ok := ours[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		a, inOurs := ours[name]
		b, inTheirs := theirs[name]
		switch {
		case !inOurs:
			t.Errorf("%s: only in Docker's image: %+v", name, b)
		case !inTheirs:
			t.Errorf("%s: only in ours: %+v", name, a)
		case a != b:
			t.Errorf("%s: ours %s, Docker's %s", name, describe(a), describe(b))
		}
	}
}

func describe(e treeEntry) string {
	return fmt.Sprintf("type %c mode %o owner %d:%d link %q content %q", e.typ, e.mode, e.uid, e.gid, e.link, e.content)
}

// unmountUnder unmounts what dockerd left mounted below dir (its network
// namespace file), deepest first.
func unmountUnder(dir string) {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(points)))
	for _, p := range points {
		syscall.Unmount(p, syscall.MNT_DETACH)
	}
}
