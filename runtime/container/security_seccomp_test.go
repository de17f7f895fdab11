package container

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// profileReachesInit reports whether the monitor hands a container's
// seccomp profile to its init; until it does, the profile tests skip.
func profileReachesInit(t *testing.T) {
	t.Helper()
	if _, ok := reflect.TypeOf(initConfig{}).FieldByName("SeccompProfile"); !ok {
		t.Skip("the init does not receive seccomp profiles yet: needs initConfig.SeccompProfile, set by launch from Config.Security.SeccompProfile and compiled in prepare by seccompFilter")
	}
}

func writeProfile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSeccompProfile runs containers under custom profiles in Docker's
// format, loaded as --security-opt seccomp=FILE loads them.
func TestSeccompProfile(t *testing.T) {
	profileReachesInit(t)
	denyMkdir := `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}`
	denyUSR1 := `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]}]}`
	docker, _ := filepath.Abs("../seccomp/testdata/docker-reduced.json")
	cases := []struct {
		name, profile, script, want string
	}{
		{"denied call fails with the profile's errno", denyMkdir, "mkdir /tmp/d 2>&1; echo x > /tmp/f && cat /tmp/f && ls -d /tmp/d 2>/dev/null || echo no dir",
			"mkdir: can't create directory '/tmp/d': Disk quota exceeded\nx\nno dir"},
		{"argument filter", denyUSR1, "sleep 100 & p=$!; kill -USR1 $p 2>/dev/null && echo usr1 sent || echo usr1 refused; kill -TERM $p && echo term sent",
			"usr1 refused\nterm sent"},
		{"Docker-style profile", "@" + docker, "ls / >/dev/null && echo listed; unshare -U true 2>/dev/null || echo unshare denied; grep Seccomp: /proc/self/status",
			"listed\nunshare denied\nSeccomp:\t2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := strings.TrimPrefix(tc.profile, "@")
			if path == tc.profile {
				path = writeProfile(t, tc.profile)
			}
			cfg := testConfig(t, "sh", "-c", tc.script)
			if err := ParseSecurityOpts(&cfg.Security, []string{"seccomp=" + filepath.Base(path)}, filepath.Dir(path)); err != nil {
				t.Fatal(err)
			}
			if got, code := runOutput(t, cfg); got != tc.want {
				t.Errorf("got %q (exit %d), want %q", got, code, tc.want)
			}
		})
	}
}
