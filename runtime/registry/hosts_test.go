package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostsInsecure(t *testing.T) {
	hosts, err := NewHosts("myreg:5000", "plain.example", "10.1.0.0/16", "http://other.example:8080/")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"localhost:5000", true},
		{"localhost", true},
		{"127.0.0.1:5000", true},
		{"127.9.9.9", true},
		{"[::1]:5000", true},
		{"myreg:5000", true},
		{"myreg:5001", false},
		{"plain.example:443", true},
		{"plain.example", true},
		{"other.example:8080", true},
		{"10.1.2.3:5000", true},
		{"10.2.0.1:5000", false},
		{"192.168.1.10:5000", false},
		{"registry-1.docker.io", false},
		{"index.docker.io", false},
	} {
		if got := hosts.Insecure(tc.host); got != tc.want {
			t.Errorf("Insecure(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
	var none *Hosts
	if !none.Insecure("127.0.0.1:5000") || none.Insecure("10.1.2.3:5000") {
		t.Errorf("nil Hosts: want loopback only")
	}
}

func TestNewHostsRejectsBadEntries(t *testing.T) {
	for _, entry := range []string{"", "10.0.0.0/33", "my reg:5000"} {
		if _, err := NewHosts(entry); err == nil {
			t.Errorf("NewHosts(%q) = nil error, want one", entry)
		}
	}
}

func TestLoadHosts(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		wantErr       string // substring; empty means success
		insecure      string
	}{
		{"valid", `{"insecure-registries": ["reg.lan:5000"]}`, "", "reg.lan:5000"},
		{"syntax", "{\n  \"insecure-registries\": [\"a\",]\n}", "syntax.json:2:31: invalid character ']'", ""},
		{"unknown key", "{\n \"mirrors\": []}", "unknown key \"mirrors\", want insecure-registries", ""},
		{"wrong type", "{\"insecure-registries\": \"reg\"}", "wrong type.json:1:30: insecure-registries: got a JSON string, want a list of strings", ""},
		{"bad entry", `{"insecure-registries": ["10.0.0.0/40"]}`, "insecure-registries: insecure registry \"10.0.0.0/40\"", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv(ConfigEnv, path)
			hosts, err := LoadHosts("flag.example:5000")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadHosts error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !hosts.Insecure(tc.insecure) || !hosts.Insecure("flag.example:5000") {
				t.Errorf("want %s and flag.example:5000 insecure", tc.insecure)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Setenv(ConfigEnv, filepath.Join(dir, "absent.json"))
		if _, err := LoadHosts(); err != nil {
			t.Errorf("LoadHosts with no file: %v, want nil", err)
		}
	})
}

func TestServerKey(t *testing.T) {
	for _, tc := range []struct{ server, host, key string }{
		{"", "index.docker.io", "https://index.docker.io/v1/"},
		{"docker.io", "index.docker.io", "https://index.docker.io/v1/"},
		{"https://index.docker.io/v1/", "index.docker.io", "https://index.docker.io/v1/"},
		{"localhost:5000", "localhost:5000", "localhost:5000"},
		{"https://reg.example.com/v2/", "reg.example.com", "reg.example.com"},
		{"http://127.0.0.1:5000", "127.0.0.1:5000", "127.0.0.1:5000"},
	} {
		host, key, err := ServerKey(tc.server)
		if err != nil || host != tc.host || key != tc.key {
			t.Errorf("ServerKey(%q) = %q, %q, %v; want %q, %q", tc.server, host, key, err, tc.host, tc.key)
		}
	}
}
