package build

import (
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestMetadataInstructions(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, nil)
	res := e.mustBuild(dir, `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM $BASE
MAINTAINER someone <x@example.org>
ARG VERSION=1.0
ENV APP_VERSION=$VERSION HOME_DIR=/srv
ENV LEGACY some value
LABEL org.example.version="${APP_VERSION}" "quoted key"=yes
WORKDIR app
WORKDIR sub
USER app:app
EXPOSE 80 53/udp 8000-8001
VOLUME ["/data", "$HOME_DIR/cache"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=3 CMD wget -q -O- http://localhost/ || exit 1
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT ["/bin/app"]
CMD run --verbose
ONBUILD RUN echo triggered
`, Options{})
	cf := configOf(t, res.Image)
	c := cf.Config
	wantEnv := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_VERSION=1.0", "HOME_DIR=/srv", "LEGACY=some value"}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Env", c.Env, wantEnv},
		{"Labels", c.Labels, map[string]string{"org.example.version": "1.0", "quoted key": "yes"}},
		{"WorkingDir", c.WorkingDir, "/app/sub"},
		{"User", c.User, "app:app"},
		{"ExposedPorts", c.ExposedPorts, map[string]struct{}{"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}}},
		{"Volumes", c.Volumes, map[string]struct{}{"/data": {}, "/srv/cache": {}}},
		{"StopSignal", c.StopSignal, "SIGINT"},
		{"Healthcheck", c.Healthcheck, &v1.HealthConfig{Test: []string{"CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"}, Interval: 5 * time.Second, Retries: 3}},
		{"Shell", c.Shell, []string{"/bin/sh", "-ec"}},
		{"Entrypoint", c.Entrypoint, []string{"/bin/app"}},
		{"Cmd", c.Cmd, []string{"/bin/sh", "-ec", "run --verbose"}},
		{"OnBuild", c.OnBuild, []string{"RUN echo triggered"}},
		{"Author", cf.Author, "someone <x@example.org>"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	// Every step but the two WORKDIRs is metadata only.
	base := configOf(t, mustImage(t, e, "busybox"))
	if got, want := len(cf.RootFS.DiffIDs)-len(base.RootFS.DiffIDs), 2; got != want {
		t.Errorf("layers added = %d, want %d (one per WORKDIR)", got, want)
	}
	added := cf.History[len(base.History):]
	if got, want := len(added), 16; got != want {
		t.Errorf("history entries added = %d, want %d", got, want)
	}
	for _, h := range added {
		wantEmpty := !strings.Contains(h.CreatedBy, "WORKDIR")
		if h.EmptyLayer != wantEmpty {
			t.Errorf("history %q: empty_layer = %v, want %v", h.CreatedBy, h.EmptyLayer, wantEmpty)
		}
	}
	if tr := tree(t, res.Image); tr["/app/sub"].typ != '5' {
		t.Errorf("/app/sub missing from the image: %+v", tr["/app/sub"])
	}
	if !strings.Contains(e.out.String(), "Step 1/17 : FROM $BASE") || !strings.Contains(e.out.String(), "Successfully built "+shortID(res.ID)) {
		t.Errorf("output lacks the step or result lines:\n%s", e.out.String())
	}
}

func mustImage(t testing.TB, e *testEnv, ref string) v1.Image {
	t.Helper()
	img, err := e.store.V1(ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestEntrypointResetsInheritedCmd(t *testing.T) {
	e := newTestEnv(t)
	dir := writeContext(t, nil)
	e.mustBuild(dir, "FROM busybox\nCMD [\"base\"]\n", Options{Tags: []string{"withcmd"}})
	res := e.mustBuild(dir, "FROM withcmd\nENTRYPOINT [\"ep\"]\n", Options{})
	if c := configOf(t, res.Image).Config; c.Cmd != nil {
		t.Errorf("Cmd = %q, want none: an ENTRYPOINT resets the base image's CMD", c.Cmd)
	}
	res = e.mustBuild(dir, "FROM busybox\nCMD [\"mine\"]\nENTRYPOINT [\"ep\"]\n", Options{})
	if c := configOf(t, res.Image).Config; !reflect.DeepEqual(c.Cmd, []string{"mine"}) {
		t.Errorf("Cmd = %q, want [mine]: a CMD of the same stage survives", c.Cmd)
	}
}
