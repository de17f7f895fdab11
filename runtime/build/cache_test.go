package build

import (
	"context"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"os"
	"path/filepath"
	"reflect"
	"stack/runtime/image"
	"strings"
	"testing"
	"time"
)

// cachedSteps lists the step numbers a build log answered from the cache.
func cachedSteps(log string) []int {
	var out []int
	step := 0
	for _, line := range strings.Split(log, "\n") {
		if strings.HasPrefix(line, "Step ") {
			step++
		}
		if line == " ---> Using cache" {
			out = append(out, step)
		}
	}
	return out
}

func TestCache(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, map[string]string{"app.py": "v1", "requirements.txt": "flask"})
	dockerfile := `FROM busybox
WORKDIR /app
ADD . /app
ARG VERSION=1
RUN cat /app/app.py > /copied && echo $VERSION > /version
EXPOSE 80
ENV NAME World
CMD ["python", "app.py"]
`
	build := func(o Options) *Result {
		t.Helper()
		return e.mustBuild(dir, dockerfile, o)
	}
	first := build(Options{})
	all := []int{2, 3, 4, 5, 6, 7, 8}
	tests := []struct {
		name       string
		change     func()
		o          Options
		wantCached []int
		sameID     bool
	}{
		{"unchanged rebuild", func() {}, Options{}, all, true},
		{"touch keeps the cache", func() {
			future := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(dir, "app.py"), future, future)
		}, Options{}, all, true},
		{"content change rebuilds from ADD on", func() {
			os.WriteFile(filepath.Join(dir, "app.py"), []byte("v2"), 0o644)
		}, Options{}, []int{2}, false},
		{"a used build arg busts RUN", func() {}, Options{BuildArgs: map[string]string{"VERSION": "2"}}, []int{2, 3, 4}, false},
		{"same build arg again is cached", func() {}, Options{BuildArgs: map[string]string{"VERSION": "2"}}, all, false},
		{"--no-cache", func() {}, Options{NoCache: true}, nil, false},
	}
	for _, tt := range tests {
		tt.change()
		res := build(tt.o)
		if got := cachedSteps(e.out.String()); !reflect.DeepEqual(got, tt.wantCached) {
			t.Errorf("%s: cached steps %v, want %v\n%s", tt.name, got, tt.wantCached, e.out.String())
		}
		if tt.sameID && res.ID != first.ID {
			t.Errorf("%s: image %s, want %s", tt.name, res.ID, first.ID)
		}
	}
	if got := tree(t, e.mustImageByID(t, build(Options{}).ID))["/copied"].content; got != "v2" {
		t.Errorf("/copied = %q after the content change, want v2", got)
	}
}

func (e *testEnv) mustImageByID(t testing.TB, id string) v1.Image {
	return mustImage(t, e, id)
}

// TestCacheAfterPrune: entries whose images were pruned are dropped and the
// build goes on from the step that needs them.
func TestCacheAfterPrune(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, map[string]string{"f": "1"})
	e.mustBuild(dir, "FROM busybox\nENV A=1\nCOPY f /f\nENV B=2\n", Options{Tags: []string{"pruned"}})
	if _, err := e.store.Prune(context.Background(), image.PruneOptions{}); err != nil {
		t.Fatal(err)
	}
	res := e.mustBuild(dir, "FROM busybox\nENV A=1\nCOPY f /f\nENV B=3\n", Options{})
	if got := tree(t, res.Image)["/f"].content; got != "1" {
		t.Errorf("/f = %q, want 1", got)
	}
	if !strings.Contains(e.out.String(), "building again") {
		t.Errorf("the stale entry went unnoticed:\n%s", e.out.String())
	}
	if res := e.mustBuild(dir, "FROM busybox\nENV A=1\nCOPY f /f\nENV B=3\n", Options{}); res.Cached != 3 {
		t.Errorf("after the rebuild %d steps cached, want 3", res.Cached)
	}
}
