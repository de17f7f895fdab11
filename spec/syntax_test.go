package spec

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParsePortSpec(t *testing.T) {
	tests := []struct {
		in   string
		want string // JSON of the ports
	}{
		{"80", `[{"mode":"ingress","target":80,"protocol":"tcp"}]`},
		{"8080:80", `[{"mode":"ingress","target":80,"published":"8080","protocol":"tcp"}]`},
		{"127.0.0.1:8080:80/udp", `[{"mode":"ingress","host_ip":"127.0.0.1","target":80,"published":"8080","protocol":"udp"}]`},
		{"127.0.0.1::80", `[{"mode":"ingress","host_ip":"127.0.0.1","target":80,"protocol":"tcp"}]`},
		{"[::1]:8080:80", `[{"mode":"ingress","host_ip":"::1","target":80,"published":"8080","protocol":"tcp"}]`},
		{"::1:8080:80", `[{"mode":"ingress","host_ip":"::1","target":80,"published":"8080","protocol":"tcp"}]`},
		{"8000-8001:80-81", `[{"mode":"ingress","target":80,"published":"8000","protocol":"tcp"},{"mode":"ingress","target":81,"published":"8001","protocol":"tcp"}]`},
		{"9000-9010:80", `[{"mode":"ingress","target":80,"published":"9000-9010","protocol":"tcp"}]`},
		{"5000-5001", `[{"mode":"ingress","target":5000,"protocol":"tcp"},{"mode":"ingress","target":5001,"protocol":"tcp"}]`},
	}
	for _, tt := range tests {
		ports, err := ParsePortSpec(tt.in)
		if err != nil {
			t.Errorf("ParsePortSpec(%q): %v", tt.in, err)
			continue
		}
		got, _ := json.Marshal(ports)
		if string(got) != tt.want {
			t.Errorf("ParsePortSpec(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "a:80", "80:b", "0", "65536", "80-79", "1:2:3:4/xyz", ":80", "[::1]80"} {
		if _, err := ParsePortSpec(bad); err == nil {
			t.Errorf("ParsePortSpec(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseVolumeSpec(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"/data", `{"type":"volume","target":"/data"}`},
		{"db:/var/lib/db", `{"type":"volume","source":"db","target":"/var/lib/db"}`},
		{"db:/var/lib/db:ro,nocopy", `{"type":"volume","source":"db","target":"/var/lib/db","read_only":true,"volume":{"nocopy":true}}`},
		{"./src:/app:ro", `{"type":"bind","source":"./src","target":"/app","read_only":true,"bind":{}}`},
		{"/etc/x:/x:z,rshared", `{"type":"bind","source":"/etc/x","target":"/x","bind":{"propagation":"rshared","selinux":"z"}}`},
		{"~/cache:/cache:cached", `{"type":"bind","source":"~/cache","target":"/cache","consistency":"cached","bind":{}}`},
	}
	for _, tt := range tests {
		v, err := parseVolumeSpec(tt.in)
		if err != nil {
			t.Errorf("parseVolumeSpec(%q): %v", tt.in, err)
			continue
		}
		got, _ := json.Marshal(v)
		if string(got) != tt.want {
			t.Errorf("parseVolumeSpec(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{":/x", "a:b:c:d", "db:/x:bogus", "db:/x:z", "./a:/b:nocopy"} {
		if _, err := parseVolumeSpec(bad); err == nil {
			t.Errorf("parseVolumeSpec(%q) succeeded, want an error", bad)
		}
	}
}

func TestUnits(t *testing.T) {
	durations := map[string]time.Duration{"1m30s": 90 * time.Second, "10s": 10 * time.Second, "1h5m": 65 * time.Minute, "500ms": 500 * time.Millisecond, "0": 0, "1.5s": 1500 * time.Millisecond, "20us": 20 * time.Microsecond}
	for in, want := range durations {
		got, err := ParseDuration(in)
		if err != nil || time.Duration(got) != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, time.Duration(got), err, want)
		}
	}
	for _, bad := range []string{"", "10", "1x", "-5s", "s"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
	sizes := map[string]ByteSize{"512m": 512 << 20, "1gb": 1 << 30, "2k": 2048, "100": 100, "1.5g": 3 << 29, "64MB": 64 << 20, "10b": 10, "-1": -1, "1GiB": 1 << 30}
	for in, want := range sizes {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "m", "12q", "1..2m", "-5m", "99999999999p"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) succeeded", bad)
		}
	}
}

func TestShellSplit(t *testing.T) {
	tests := map[string][]string{
		`echo hello`:              {"echo", "hello"},
		`sh -c 'echo $HOME && x'`: {"sh", "-c", "echo $HOME && x"},
		`a "b c" d\ e`:            {"a", "b c", "d e"},
		`x "say \"hi\""`:          {"x", `say "hi"`},
		`  spaced   out  `:        {"spaced", "out"},
		`''`:                      {""},
		``:                        {},
	}
	for in, want := range tests {
		got, err := shellSplit(in)
		if err != nil || !equalStrings(got, want) {
			t.Errorf("shellSplit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`'open`, `"open`} {
		if _, err := shellSplit(bad); err == nil {
			t.Errorf("shellSplit(%q) succeeded", bad)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"image", "build", "ports", "volumes", "environment", "healthcheck", "depends_on"}
	tests := map[string]string{"imgae": "image", "port": "ports", "enviroment": "environment", "dependson": "depends_on", "helthcheck": "healthcheck", "zzz": "", "xyzzy": ""}
	for in, want := range tests {
		if got := suggest(in, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
