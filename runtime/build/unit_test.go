package build

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"stack/runtime/build/dockerfile"
)

func TestPortKeys(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"80", []string{"80/tcp"}, false},
		{"53/UDP", []string{"53/udp"}, false},
		{"8000-8002/tcp", []string{"8000/tcp", "8001/tcp", "8002/tcp"}, false},
		{"0", nil, true},
		{"80/xyz", nil, true},
		{"9-1", nil, true},
		{"http", nil, true},
	}
	for _, tt := range tests {
		got, err := portKeys(tt.in)
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("portKeys(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseChown(t *testing.T) {
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n")
	group := []byte("root:x:0:\nstaff:x:50:\n")
	tests := []struct {
		spec string
		want identity
		err  string
	}{
		{"app", identity{1000, 1001}, ""},
		{"app:staff", identity{1000, 50}, ""},
		{"42", identity{42, 42}, ""},
		{"42:7", identity{42, 7}, ""},
		{"0:staff", identity{0, 50}, ""},
		{"ghost", identity{}, `user "ghost" not found`},
		{"app:ghosts", identity{}, `group "ghosts" not found`},
	}
	for _, tt := range tests {
		got, err := parseChown(tt.spec, passwd, group)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseChown(%q) error %v, want %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseChown(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
		}
	}
}

func TestCheckSignal(t *testing.T) {
	for _, ok := range []string{"SIGTERM", "term", "9", "SIGRTMIN+3"} {
		if err := checkSignal(ok); err != nil {
			t.Errorf("checkSignal(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"SIGNOPE", "0", "99", ""} {
		if err := checkSignal(bad); err == nil {
			t.Errorf("checkSignal(%q) = nil, want an error", bad)
		}
	}
}

func TestPlanTargets(t *testing.T) {
	src := `ARG V=1
FROM busybox AS base
FROM base AS a
COPY --from=base /x /x
FROM busybox AS b
RUN exit 1
FROM a AS final
COPY --from=0 /y /y
FROM busybox AS other
`
	f, err := dockerfile.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target string
		want   []string
	}{
		{"", []string{"other"}},
		{"final", []string{"base", "a", "final"}},
		{"FINAL", []string{"base", "a", "final"}},
		{"b", []string{"b"}},
	}
	for _, tt := range tests {
		p, err := newPlan(f, tt.target)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range p.order {
			got = append(got, s.name)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("target %q builds %q, want %q", tt.target, got, tt.want)
		}
	}
	if len(f.Instructions) == 0 {
		t.Fatal("nothing parsed")
	}
	bad := []struct{ src, want string }{
		{"RUN x\nFROM busybox\n", "Dockerfile:1: RUN before the first FROM"},
		{"FROM busybox AS 1x\n", "invalid stage name"},
		{"FROM busybox\nCOPY --from=3 /a /b\n", "--from=3: no stage 3 before this one"},
		{"ARG X\n", "no FROM instruction"},
	}
	for _, tt := range bad {
		f, err := dockerfile.Parse(strings.NewReader(tt.src))
		if err == nil {
			_, err = newPlan(f, "")
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.src, err, tt.want)
		}
	}
}

func TestContextIgnore(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.txt", "b.log", "keep.log", "node_modules/x/y.js", "src/main.go", "src/gen/out.go"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(name), 0o644)
	}
	os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("# comment\n*.log\n!keep.log\nnode_modules\nsrc/**/gen\n"), 0o644)
	c, err := openContext(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".dockerignore", "a.txt", "keep.log", "src", "src/main.go"}
	if !reflect.DeepEqual(c.names, want) {
		t.Errorf("context = %q, want %q", c.names, want)
	}
	if got, err := c.match("*.txt"); err != nil || !reflect.DeepEqual(got, []string{"a.txt"}) {
		t.Errorf("match(*.txt) = %q, %v", got, err)
	}
	if _, err := c.match("b.log"); err == nil {
		t.Errorf("match(b.log) found an ignored file")
	}
}

func TestArgScope(t *testing.T) {
	s := newArgScope()
	one, two := "1", "2"
	s.declare("A", &one)
	s.declare("B", &two)
	s.declare("C", nil)
	got := s.runEnv([]string{"B=from-env", "PATH=/bin"})
	if want := []string{"A=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("runEnv = %q, want %q (ENV hides B, C has no value)", got, want)
	}
	if v, ok := s.env([]string{"A=env"}).Get("A"); !ok || v != "env" {
		t.Errorf("env A = %q, want ENV to win over ARG", v)
	}
}

func TestTailWriter(t *testing.T) {
	w := &tailWriter{max: 2}
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\nthree\nfour"))
	if got, want := w.lines(), []string{"three", "four"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
}
