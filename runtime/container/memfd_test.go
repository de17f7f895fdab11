package container

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// embeddedText is a string constant of the test binary, in its read-only
// data like an embedded file.
const embeddedText = "a constant that lies in the read-only data of the executable, like stack's embedded init binary"

// TestEmbeddedOffset checks that a string in the executable's read-only
// data is found where it is in the file, and one on the heap is not.
func TestEmbeddedOffset(t *testing.T) {
	off, ok := embeddedOffset(embeddedText)
	if !ok {
		t.Fatal("a string constant was not found in the executable")
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	got := make([]byte, len(embeddedText))
	if _, err := exe.ReadAt(got, off); err != nil || string(got) != embeddedText {
		t.Errorf("at offset %d of the executable: %q, %v; want %q", off, got, err, embeddedText)
	}
	if _, ok := embeddedOffset(strings.Repeat("x", 100)); ok {
		t.Error("a string on the heap was found in the executable")
	}
}

// buildStackInit builds cmd/stack-init for the tests.
func buildStackInit(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build cmd/stack-init with")
	}
	bin := filepath.Join(t.TempDir(), "stack-init")
	cmd := exec.Command(goTool, "build", "-o", bin, "../../cmd/stack-init")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/stack-init: %v\n%s", err, out)
	}
	return bin
}

// TestInitBinary runs containers whose monitor was given an init binary
// of its own (UseInitBinary), cmd/stack-init as stack embeds it: the init
// runs from a sealed copy of it, shared by the containers of one run root,
// executes processes as ever, and the exec helper of a container without
// an init runs from it too.
func TestInitBinary(t *testing.T) {
	needRoot(t)
	bin := buildStackInit(t)
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STACK_TEST_INIT_BIN", bin)
	s, opts := testStore(t)
	start := func(cfg *Config) *Container {
		t.Helper()
		c, err := s.Get(startInStore(t, s, opts, cfg).ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(c *Container, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		code, err := s.Exec(ctx, c.ID, ExecOptions{Process: Process{Args: args}, Stdout: &out, Stderr: &out})
		if err != nil || code != 0 {
			t.Fatalf("exec %v: exit %d, %v: %s", args, code, err, out.String())
		}
		return out.String()
	}

	first := start(testConfig(t, "sleep", "1000"))
	second := start(testConfig(t, "sleep", "1000"))
	exe := "/proc/" + strconv.Itoa(first.State.Pid) + "/exe"
	got, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the init runs from %d bytes, not the %d of the init binary", len(got), len(want))
	}
	if f := openSealed(exe); f == nil {
		t.Error("the init's executable is not a sealed memfd")
	} else {
		f.Close()
	}
	var st1, st2 unix.Stat_t
	if unix.Stat(exe, &st1) != nil || unix.Stat("/proc/"+strconv.Itoa(second.State.Pid)+"/exe", &st2) != nil || st1.Ino != st2.Ino {
		t.Errorf("the two inits run from different copies (inodes %d, %d)", st1.Ino, st2.Ino)
	}
	if out := run(first, "sh", "-c", "head -c 10 /proc/1/cmdline; echo x 2>/dev/null >> /proc/1/exe && echo written || echo refused"); out != "stack-initrefused\n" {
		t.Errorf("init's name and /proc/1/exe from the container: %q", out)
	}

	cfg := testConfig(t, "sleep", "1000")
	cfg.NoInit = true
	solo := start(cfg)
	if out := run(solo, "cat", "/proc/1/cmdline"); out != "sleep\x001000\x00" {
		t.Errorf("exec without an init: %q", out)
	}
}

func TestParseMapping(t *testing.T) {
	tests := []struct {
		line string
		want mapping
		ok   bool
	}{
		{"00400000-00b0b000 r-xp 00000000 fe:01 1234 /usr/bin/stack\n", mapping{start: 0x400000, end: 0xb0b000, ino: 1234, perms: "r-xp"}, true},
		{"7f0e319af000-7f0e319ef000 rw-p 00001000 00:00 0 \n", mapping{start: 0x7f0e319af000, end: 0x7f0e319ef000, offset: 0x1000, perms: "rw-p"}, true},
		{"Size:                  4 kB\n", mapping{}, false},
		{"VmFlags: rd ex mr mw me dw\n", mapping{}, false},
		{"00400000-00300000 r-xp 00000000 fe:01 1234 /x\n", mapping{}, false},
	}
	for _, tt := range tests {
		got, ok := parseMapping(tt.line)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseMapping(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}
