package seccomp

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func mustParse(t *testing.T, text string) *Profile {
	t.Helper()
	p, err := ParseProfile([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func nrOf(t *testing.T, name string) uint32 {
	t.Helper()
	n, ok := syscallNumber(name)
	if !ok {
		t.Skipf("no %s on this architecture", name)
	}
	return n
}

func errnoRet(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }

func TestParseProfileErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"syntax", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  oops\n}", "3:3: invalid character 'o'"},
		{"unknown default action", `{"defaultAction": "SCMP_ACT_MAYBE"}`, `defaultAction: unknown action "SCMP_ACT_MAYBE"`},
		{"unknown field", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errno": 1}]}`, `syscalls[0]: unknown field "errno"`},
		{"wrong type", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{}, {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": "one", "op": "SCMP_CMP_EQ"}]}]}`, "syscalls[1].args.value: expected uint64, got a JSON string"},
		{"unknown operator", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}`, `syscalls[0].args[0].op: unknown operator "SCMP_CMP_ABOUT"`},
		{"argument index", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`, "syscalls[0].args[0].index: 6: a system call has arguments 0 to 5"},
		{"no names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}`, "syscalls[0]: names: expected at least one system call name"},
		{"notify", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}`, "syscalls[0].action: SCMP_ACT_NOTIFY is not supported"},
		{"architecture", `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_Z80"}]}`, `archMap[0].architecture: unknown architecture "SCMP_ARCH_Z80"`},
		{"capability", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["SYS_ADMIN"]}}]}`, `syscalls[0].includes.caps[0]: "SYS_ADMIN": expected a capability name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfile([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestProfileEveryProblemReported(t *testing.T) {
	_, err := ParseProfile([]byte(`{"defaultAction": "X", "syscalls": [{"names": ["read"], "action": "Y"}]}`))
	if err == nil || !strings.Contains(err.Error(), "defaultAction") || !strings.Contains(err.Error(), "syscalls[0].action") {
		t.Errorf("got %v, want both problems", err)
	}
}

func TestCompileProfile(t *testing.T) {
	if nativeArch == 0 {
		t.Skip("no table for this architecture")
	}
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	p := mustParse(t, `{
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [
			{"names": ["mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
			{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]},
			{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_NE"}, {"index": 0, "value": 100, "op": "SCMP_CMP_GT"}]},
			{"names": ["setuid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1000, "op": "SCMP_CMP_LT"}]},
			{"names": ["setgid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1000, "op": "SCMP_CMP_LE"}]},
			{"names": ["setreuid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 4294967296, "op": "SCMP_CMP_GE"}]},
			{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]},
			{"names": ["no_such_call_anywhere"], "action": "SCMP_ACT_KILL"},
			{"names": ["reboot"], "action": "SCMP_ACT_KILL_PROCESS", "includes": {"caps": ["CAP_SYS_BOOT"]}},
			{"names": ["chroot"], "action": "SCMP_ACT_TRAP", "excludes": {"caps": ["CAP_SYS_CHROOT"]}}
		]
	}`)
	cases := []struct {
		name string
		caps []string
		call string
		args []uint64
		want uint32
	}{
		{"unlisted call has the default", nil, "read", nil, allow},
		{"denied with the chosen errno", nil, "mkdirat", nil, errnoRet(unix.EACCES)},
		{"argument equal", nil, "socket", []uint64{10}, errnoRet(unix.EPERM)},
		{"argument different", nil, "socket", []uint64{2}, allow},
		{"argument high word differs", nil, "socket", []uint64{10 | 1<<32}, allow},
		{"all of several arguments", nil, "kill", []uint64{200, 15}, errnoRet(unix.EPERM)},
		{"one argument fails", nil, "kill", []uint64{200, 9}, allow},
		{"the other fails", nil, "kill", []uint64{50, 15}, allow},
		{"greater in the high word", nil, "kill", []uint64{1 << 32, 15}, errnoRet(unix.EPERM)},
		{"less than", nil, "setuid", []uint64{999}, errnoRet(unix.EPERM)},
		{"not less than", nil, "setuid", []uint64{1000}, allow},
		{"less than or equal", nil, "setgid", []uint64{1000}, errnoRet(unix.EPERM)},
		{"not less than or equal", nil, "setgid", []uint64{1001}, allow},
		{"greater or equal, 64 bits", nil, "setreuid", []uint64{1 << 32}, errnoRet(unix.EPERM)},
		{"below in 64 bits", nil, "setreuid", []uint64{1<<32 - 1}, allow},
		{"mask matches", nil, "unshare", []uint64{0x10000000 | 0x20000}, errnoRet(unix.EPERM)},
		{"mask does not match", nil, "unshare", []uint64{0x20000}, allow},
		{"included capability missing", nil, "reboot", nil, allow},
		{"included capability held", []string{"CAP_SYS_BOOT"}, "reboot", nil, unix.SECCOMP_RET_KILL_PROCESS},
		{"excluded capability missing", nil, "chroot", nil, unix.SECCOMP_RET_TRAP},
		{"excluded capability held", []string{"CAP_SYS_CHROOT"}, "chroot", nil, allow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := p.Compile(tc.caps)
			if err != nil {
				t.Fatal(err)
			}
			if got := run(t, f, nativeArch, nrOf(t, tc.call), tc.args...); got != tc.want {
				t.Errorf("got %#x, want %#x", got, tc.want)
			}
		})
	}
}

// TestDockerStyleProfile compiles a reduced profile in the layout of
// Docker's default one: arch maps, per-arch and per-capability rules, arguments.
func TestDockerStyleProfile(t *testing.T) {
	if nativeArch == 0 {
		t.Skip("no table for this architecture")
	}
	data, err := os.ReadFile("testdata/docker-reduced.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		t.Fatal(err)
	}
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	cases := []struct {
		name string
		caps []string
		call string
		args []uint64
		want uint32
	}{
		{"allowed", nil, "read", nil, allow},
		{"default errno", nil, "keyctl", nil, errnoRet(unix.EPERM)},
		{"mount needs CAP_SYS_ADMIN", nil, "mount", nil, errnoRet(unix.EPERM)},
		{"mount with CAP_SYS_ADMIN", []string{"CAP_SYS_ADMIN"}, "mount", nil, allow},
		{"clone of a thread", nil, "clone", []uint64{unix.CLONE_VM | unix.CLONE_THREAD}, allow},
		{"clone of a namespace", nil, "clone", []uint64{unix.CLONE_NEWNET}, errnoRet(unix.EPERM)},
		{"clone3 falls back", nil, "clone3", nil, errnoRet(unix.ENOSYS)},
		{"clone3 with CAP_SYS_ADMIN", []string{"CAP_SYS_ADMIN"}, "clone3", nil, allow},
		{"personality query", nil, "personality", []uint64{0xffffffff}, allow},
		{"personality other", nil, "personality", []uint64{0x0400000}, errnoRet(unix.EPERM)},
		{"minimum kernel met", nil, "ptrace", nil, allow},
		{"socket of most families", nil, "socket", []uint64{unix.AF_INET}, allow},
		{"no vsock socket", nil, "socket", []uint64{unix.AF_VSOCK}, errnoRet(unix.EPERM)},
	}
	if runtime.GOARCH == "amd64" {
		cases = append(cases, struct {
			name string
			caps []string
			call string
			args []uint64
			want uint32
		}{"rule for this architecture", nil, "modify_ldt", nil, allow})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := p.Compile(tc.caps)
			if err != nil {
				t.Fatal(err)
			}
			if got := run(t, f, nativeArch, nrOf(t, tc.call), tc.args...); got != tc.want {
				t.Errorf("got %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestProfileForAnotherArchitecture(t *testing.T) {
	other := "SCMP_ARCH_S390X"
	if runtime.GOARCH == "s390x" {
		other = "SCMP_ARCH_X86_64"
	}
	p := mustParse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["`+other+`"]}`)
	if _, err := p.Compile(nil); err == nil {
		t.Error("a profile for another architecture compiled")
	}
}

// TestProfileInKernel installs a compiled profile in a child process and
// checks the kernel's answers: mkdir fails with the profile's errno, the
// rest works.
func TestProfileInKernel(t *testing.T) {
	if os.Getenv("SECCOMP_TEST_CHILD") != "" {
		return
	}
	if nativeArch == 0 {
		t.Skip("no table for this architecture")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestProfileChild$")
	cmd.Env = append(os.Environ(), "SECCOMP_TEST_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); err == nil {
		t.Error("mkdir succeeded under the filter")
	}
	if _, err := os.Stat(filepath.Join(dir, "written")); err != nil {
		t.Errorf("an allowed call failed: %v", err)
	}
}

func TestProfileChild(t *testing.T) {
	dir := os.Getenv("SECCOMP_TEST_CHILD")
	if dir == "" {
		t.Skip("run by TestProfileInKernel")
	}
	p := mustParse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": `+strconv.Itoa(int(unix.EROFS))+`}]}`)
	f, err := p.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread() // the filter is for this thread only; it dies with it
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := InstallThread(f); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkdir(filepath.Join(dir, "made"), 0o755); !errors.Is(err, unix.EROFS) {
		t.Errorf("mkdir: got %v, want %v", err, unix.EROFS)
	}
	if err := os.WriteFile(filepath.Join(dir, "written"), nil, 0o644); err != nil {
		t.Error(err)
	}
}

// BenchmarkDockerStyleProfile measures what a container start pays for a
// profile: parsing and compiling it.
func BenchmarkDockerStyleProfile(b *testing.B) {
	data, err := os.ReadFile("testdata/docker-reduced.json")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, err := ParseProfile(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Compile(nil); err != nil {
			b.Fatal(err)
		}
	}
}
