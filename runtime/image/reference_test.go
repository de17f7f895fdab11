package image

import (
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestNormalize(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		in, want string
	}{
		{"redis", "docker.io/library/redis:latest"},
		{"redis:7", "docker.io/library/redis:7"},
		{"library/redis", "docker.io/library/redis:latest"},
		{"docker.io/redis", "docker.io/library/redis:latest"},
		{"index.docker.io/library/redis:7", "docker.io/library/redis:7"},
		{"user/app", "docker.io/user/app:latest"},
		{"localhost:5000/app", "localhost:5000/app:latest"},
		{"localhost/app:v1", "localhost/app:v1"},
		{"ghcr.io/o/r/app:1.2", "ghcr.io/o/r/app:1.2"},
		{"app@" + digest, "docker.io/library/app@" + digest},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "Upper", "a b", "app:", "app@sha256:12"} {
		if got, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", bad, got)
		}
	}
}

func TestFamiliar(t *testing.T) {
	tests := []struct {
		in, repo, tag, short string
	}{
		{"docker.io/library/redis:7", "redis", "7", "redis:7"},
		{"docker.io/user/app:latest", "user/app", "latest", "user/app:latest"},
		{"localhost:5000/app:v1", "localhost:5000/app", "v1", "localhost:5000/app:v1"},
		{"docker.io/library/app@sha256:00", "app", "<none>", "app@sha256:00"},
	}
	for _, tt := range tests {
		repo, tag := Familiar(tt.in)
		if repo != tt.repo || tag != tt.tag || FamiliarString(tt.in) != tt.short {
			t.Errorf("Familiar(%q) = %q, %q, %q; want %q, %q, %q", tt.in, repo, tag, FamiliarString(tt.in), tt.repo, tt.tag, tt.short)
		}
	}
}

func TestChainIDs(t *testing.T) {
	a := v1.Hash{Algorithm: "sha256", Hex: "aa"}
	b := v1.Hash{Algorithm: "sha256", Hex: "bb"}
	got := ChainIDs([]v1.Hash{a, b})
	want := []v1.Hash{a, digestOf([]byte("sha256:aa sha256:bb"))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ChainIDs = %v, want %v", got, want)
	}
}

func TestApplyChanges(t *testing.T) {
	tests := []struct {
		change string
		want   v1.Config
	}{
		{`CMD ["a", "b"]`, v1.Config{Cmd: []string{"a", "b"}}},
		{`cmd echo hi`, v1.Config{Cmd: []string{"/bin/sh", "-c", "echo hi"}}},
		{`ENTRYPOINT ["/init"]`, v1.Config{Entrypoint: []string{"/init"}}},
		{`ENV A=1 B="two words" C=x\ y`, v1.Config{Env: []string{"A=1", "B=two words", "C=x y"}}},
		{`ENV LEGACY value with spaces`, v1.Config{Env: []string{"LEGACY=value with spaces"}}},
		{`LABEL a=b "c d"=e`, v1.Config{Labels: map[string]string{"a": "b", "c d": "e"}}},
		{`EXPOSE 80 53/udp`, v1.Config{ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}}}},
		{`VOLUME ["/data", "/logs"]`, v1.Config{Volumes: map[string]struct{}{"/data": {}, "/logs": {}}}},
		{`VOLUME /data`, v1.Config{Volumes: map[string]struct{}{"/data": {}}}},
		{`WORKDIR /srv/app`, v1.Config{WorkingDir: "/srv/app"}},
		{`USER app:app`, v1.Config{User: "app:app"}},
		{`STOPSIGNAL SIGINT`, v1.Config{StopSignal: "SIGINT"}},
		{`ONBUILD RUN make`, v1.Config{OnBuild: []string{"RUN make"}}},
	}
	for _, tt := range tests {
		var got v1.Config
		if err := ApplyChanges(&got, []string{tt.change}); err != nil {
			t.Errorf("ApplyChanges(%q): %v", tt.change, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ApplyChanges(%q) = %+v, want %+v", tt.change, got, tt.want)
		}
	}
	var relative v1.Config
	if err := ApplyChanges(&relative, []string{"WORKDIR /a", "WORKDIR b/../c"}); err != nil || relative.WorkingDir != "/a/c" {
		t.Errorf("relative WORKDIR = %q, %v; want /a/c", relative.WorkingDir, err)
	}
	for _, bad := range []string{"RUN make", "CMD", `ENV A="open`, "ENV =x"} {
		if err := ApplyChanges(&v1.Config{}, []string{bad}); err == nil {
			t.Errorf("ApplyChanges(%q) succeeded, want an error", bad)
		}
	}
}
