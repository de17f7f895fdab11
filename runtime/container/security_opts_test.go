package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSecurityOpts(t *testing.T) {
	dir := t.TempDir()
	good := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`
	bad := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "EQUAL"}]}]}`
	os.WriteFile(filepath.Join(dir, "good.json"), []byte(good), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(bad), 0o644)
	cases := []struct {
		name    string
		opts    []string
		want    Security
		wantErr string
	}{
		{"no-new-privileges", []string{"no-new-privileges"}, Security{NoNewPrivileges: true}, ""},
		{"no-new-privileges:true", []string{"no-new-privileges:true"}, Security{NoNewPrivileges: true}, ""},
		{"no-new-privileges=false", []string{"no-new-privileges", "no-new-privileges=false"}, Security{}, ""},
		{"unconfined", []string{"seccomp=unconfined"}, Security{Seccomp: "unconfined"}, ""},
		{"unconfined, colon form", []string{"seccomp:unconfined"}, Security{Seccomp: "unconfined"}, ""},
		{"relative profile", []string{"seccomp=good.json"}, Security{Seccomp: filepath.Join(dir, "good.json"), SeccompProfile: []byte(good)}, ""},
		{"absolute profile", []string{"seccomp=" + filepath.Join(dir, "good.json")}, Security{Seccomp: filepath.Join(dir, "good.json"), SeccompProfile: []byte(good)}, ""},
		{"apparmor unconfined", []string{"apparmor=unconfined", "label=disable"}, Security{}, ""},
		{"missing profile", []string{"seccomp=nothere.json"}, Security{}, `"seccomp=nothere.json": seccomp profile: open ` + filepath.Join(dir, "nothere.json")},
		{"bad profile", []string{"seccomp=./bad.json"}, Security{}, `"seccomp=./bad.json": seccomp profile ` + filepath.Join(dir, "bad.json") + `: syscalls[1].args[0].op: unknown operator "EQUAL"`},
		{"bad no-new-privileges", []string{"no-new-privileges:maybe"}, Security{}, "expected no-new-privileges[:true|false]"},
		{"empty seccomp", []string{"seccomp="}, Security{}, "expected seccomp=unconfined or seccomp=PROFILE.json"},
		{"apparmor profile", []string{"apparmor=docker-default"}, Security{}, "apparmor is not supported"},
		{"unknown", []string{"systempaths=unconfined"}, Security{}, `"systempaths=unconfined": expected`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got Security
			err := ParseSecurityOpts(&got, tc.opts, dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.NoNewPrivileges != tc.want.NoNewPrivileges || got.Seccomp != tc.want.Seccomp || string(got.SeccompProfile) != string(tc.want.SeccompProfile) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestValidateSeccomp(t *testing.T) {
	cases := []struct {
		name string
		s    Security
		ok   bool
	}{
		{"default", Security{}, true},
		{"unconfined", Security{Seccomp: "unconfined"}, true},
		{"profile", Security{Seccomp: "/p.json", SeccompProfile: []byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`)}, true},
		{"path without its profile", Security{Seccomp: "/p.json"}, false},
		{"broken profile", Security{Seccomp: "/p.json", SeccompProfile: []byte(`{"defaultAction": 1}`)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.s.validateSeccomp(); (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestParseDevice(t *testing.T) {
	if _, err := os.Stat("/dev/null"); err != nil {
		t.Skip("no /dev/null")
	}
	cases := []struct {
		spec    string
		want    Mount
		wantErr string
	}{
		{"/dev/null", Mount{Type: "device", Source: "/dev/null", Target: "/dev/null", Options: []string{"rwm"}}, ""},
		{"/dev/null:/dev/nothing", Mount{Type: "device", Source: "/dev/null", Target: "/dev/nothing", Options: []string{"rwm"}}, ""},
		{"/dev/null:/dev/n:rw", Mount{Type: "device", Source: "/dev/null", Target: "/dev/n", Options: []string{"rw"}}, ""},
		{"/dev/null:rw", Mount{Type: "device", Source: "/dev/null", Target: "/dev/null", Options: []string{"rw"}}, ""},
		{"/dev/null:/dev/n:r", Mount{}, "only rw and rwm are supported"},
		{"/dev/null:/dev/n:rx", Mount{}, `permissions "rx": expected letters of rwm`},
		{"dev/null", Mount{}, "expected an absolute host path"},
		{"/dev/null:dev/n", Mount{}, `permissions "dev/n": expected letters of rwm`},
		{"/dev/no-such-device", Mount{}, "no such file or directory"},
		{"/etc/hostname", Mount{}, "not a character or block device"},
		{"/a:/b:rw:x", Mount{}, "expected HOST[:CONTAINER[:PERMISSIONS]]"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseDevice(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Type != tc.want.Type || got.Source != tc.want.Source || got.Target != tc.want.Target || strings.Join(got.Options, ",") != strings.Join(tc.want.Options, ",") {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
