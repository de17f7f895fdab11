package build

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, nil)
	res := e.mustBuild(dir, `FROM busybox
ARG WHO=world
ENV GREETING=hello
WORKDIR /work
RUN echo "$GREETING $WHO from $(pwd) as $(id -u)" > out.txt
USER app
RUN ["/bin/sh", "-c", "id -un > /tmp/user.txt"]
USER root
RUN <<EOF
echo heredoc > /heredoc.txt
echo second >> /heredoc.txt
EOF
RUN cat <<DATA > /data.txt
inline $GREETING
DATA
RUN rm /bin/vi && mkdir -p /gone && rmdir /gone
`, Options{BuildArgs: map[string]string{"WHO": "you"}})
	tr := tree(t, res.Image)
	want := map[string]string{
		"/work/out.txt": "hello you from /work as 0\n",
		"/tmp/user.txt": "app\n",
		"/heredoc.txt":  "heredoc\nsecond\n",
		"/data.txt":     "inline hello\n",
	}
	for path, content := range want {
		if got := tr[path].content; got != content {
			t.Errorf("%s = %q, want %q", path, got, content)
		}
	}
	if _, ok := tr["/bin/vi"]; ok {
		t.Errorf("/bin/vi is still there after rm")
	}
	cf := configOf(t, res.Image)
	var runs []string
	for _, h := range cf.History {
		if strings.Contains(h.CreatedBy, "echo \"$GREETING") || strings.Contains(h.CreatedBy, "id -un") {
			runs = append(runs, h.CreatedBy)
		}
	}
	wantRuns := []string{
		`|1 WHO=you /bin/sh -c echo "$GREETING $WHO from $(pwd) as $(id -u)" > out.txt`,
		`|1 WHO=you /bin/sh -c id -un > /tmp/user.txt`,
	}
	if !reflect.DeepEqual(runs, wantRuns) {
		t.Errorf("RUN history = %q, want %q", runs, wantRuns)
	}
	if hasEnv(cf.Config.Env, "WHO") {
		t.Errorf("Env = %q: a build argument must not stay in the image", cf.Config.Env)
	}
}

func TestRunFailure(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, nil)
	_, err := e.build(dir, "FROM busybox\nENV X=1\nRUN echo line one; echo line two >&2; exit 3\nCMD [\"never\"]\n",
		Options{Tags: []string{"failed:latest"}})
	var step *StepError
	var run *RunError
	if !errors.As(err, &step) || !errors.As(err, &run) {
		t.Fatalf("error %v (%T), want a StepError wrapping a RunError", err, err)
	}
	if step.Step != 3 || step.Line != 3 {
		t.Errorf("step %d line %d, want step 3 line 3", step.Step, step.Line)
	}
	// stdout and stderr come through separate pipes: their order may vary.
	got := append([]string(nil), run.Output...)
	sort.Strings(got)
	if run.ExitCode != 3 || !reflect.DeepEqual(got, []string{"line one", "line two"}) {
		t.Errorf("exit %d output %q, want exit 3 and both lines", run.ExitCode, run.Output)
	}
	for _, want := range []string{"step 3", "RUN echo line one", "returned a non-zero code: 3", "line two"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := e.store.Get("failed:latest"); err == nil {
		t.Errorf("failed:latest exists after a failed build")
	}
	leftovers, _ := os.ReadDir(filepath.Join(e.root, "build-tmp"))
	if len(leftovers) != 0 {
		t.Errorf("build-tmp holds %d entries after the build, want none", len(leftovers))
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), e.root) {
		t.Errorf("a mount under %s is left behind", e.root)
	}
}

func TestMultiStage(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, map[string]string{"src.txt": "source"})
	dockerfile := `ARG FLAVOR=plain
FROM busybox AS builder
ARG FLAVOR
COPY src.txt /src/
RUN mkdir -p /out && cp /src/src.txt /out/built-$FLAVOR && chown 1000:1000 /out/built-$FLAVOR

FROM busybox AS broken
RUN exit 1

FROM builder AS derived
RUN echo derived > /out/derived

FROM scratch
COPY --from=builder /out/ /app/
COPY --from=2 /out/derived /app/
COPY --from=busybox /bin/busybox /bin/
`
	res := e.mustBuild(dir, dockerfile, Options{BuildArgs: map[string]string{"FLAVOR": "fancy"}})
	tr := tree(t, res.Image)
	if got := tr["/app/built-fancy"]; got.content != "source" || got.uid != 1000 {
		t.Errorf("/app/built-fancy = %+v, want content from the builder stage, owner 1000 kept", got)
	}
	if got := tr["/app/derived"].content; got != "derived\n" {
		t.Errorf("/app/derived = %q, want derived", got)
	}
	if tr["/bin/busybox"].typ != '0' {
		t.Errorf("/bin/busybox not copied from the image")
	}
	if strings.Contains(e.out.String(), "exit 1") {
		t.Errorf("the unused stage was built:\n%s", e.out.String())
	}
	if !strings.Contains(e.out.String(), "Step 1/10 : FROM busybox AS builder") {
		t.Errorf("steps not counted over the needed stages only:\n%s", e.out.String())
	}
	res = e.mustBuild(dir, dockerfile, Options{Target: "builder", BuildArgs: map[string]string{"FLAVOR": "fancy"}})
	if _, ok := tree(t, res.Image)["/out/built-fancy"]; !ok {
		t.Errorf("--target builder did not stop at the builder stage")
	}
	if _, err := e.build(dir, dockerfile, Options{Target: "nope"}); !errors.Is(err, ErrTarget) {
		t.Errorf("unknown target: error %v, want ErrTarget", err)
	}
}

func TestOnBuild(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, map[string]string{"payload": "p"})
	e.mustBuild(dir, "FROM busybox\nONBUILD COPY payload /payload\nONBUILD RUN echo ran > /ran\n", Options{Tags: []string{"parent"}})
	res := e.mustBuild(dir, "FROM parent\nCMD [\"x\"]\n", Options{})
	tr := tree(t, res.Image)
	if tr["/payload"].content != "p" || tr["/ran"].content != "ran\n" {
		t.Errorf("triggers did not run: /payload=%q /ran=%q", tr["/payload"].content, tr["/ran"].content)
	}
	if got := configOf(t, res.Image).Config.OnBuild; len(got) != 0 {
		t.Errorf("OnBuild = %q, want the triggers consumed", got)
	}
	if !strings.Contains(e.out.String(), "# Executing 2 build triggers") {
		t.Errorf("output lacks the trigger line:\n%s", e.out.String())
	}
}
