package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateConfig = flag.Bool("update-config", false, "rewrite the golden files of stack config under testdata/config")

func runConfigTest(t *testing.T, dir string, g *globalOptions, options configOptions) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if g.Root == "" {
		g.Root, g.RunRoot = t.TempDir(), t.TempDir()
	}
	options.global = g
	options.Stdout, options.Stderr = &stdout, &stderr
	options.WorkingDir = dir
	if options.Environ == nil {
		options.Environ = map[string]string{}
	}
	if options.Format == "" {
		options.Format = "yaml"
	}
	err := runConfig(context.Background(), &options)
	return strings.ReplaceAll(stdout.String(), dir, "DIR"), err
}

func TestConfigOutputs(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "config"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		golden  string
		options configOptions
		global  globalOptions
	}{
		{"config.yaml.golden", configOptions{}, globalOptions{}},
		{"config.json.golden", configOptions{Format: "json"}, globalOptions{}},
		{"services.golden", configOptions{ListServices: true}, globalOptions{Profiles: []string{"debug"}}},
		{"volumes.golden", configOptions{ListVolumes: true}, globalOptions{}},
		{"networks.golden", configOptions{ListNetworks: true}, globalOptions{}},
		{"profiles.golden", configOptions{ListProfiles: true}, globalOptions{}},
		{"images.golden", configOptions{ListImages: true}, globalOptions{}},
		{"no-interpolate.yaml.golden", configOptions{NoInterpolate: true}, globalOptions{}},
		{"select-web.yaml.golden", configOptions{Services: []string{"web"}}, globalOptions{Project: "other"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := runConfigTest(t, dir, &tt.global, tt.options)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tt.golden)
			if *updateConfig {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update-config)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", tt.golden, got, want)
			}
		})
	}
}

func TestConfigHashSelection(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("testdata", "config"))
	one, err := runConfigTest(t, dir, &globalOptions{}, configOptions{Hash: "redis"})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := runConfigTest(t, dir, &globalOptions{}, configOptions{Hash: "*"})
	// No golden file: web's bind mount makes its hash depend on where the
	// checkout lives, as it should.
	if !regexp.MustCompile(`^redis [0-9a-f]{64}\nweb [0-9a-f]{64}\n$`).MatchString(all) {
		t.Errorf("--hash '*' = %q, want a \"SERVICE SHA256\" line per service in name order", all)
	}
	if !strings.HasPrefix(one, "redis ") || !strings.Contains(all, one) {
		t.Errorf("--hash redis = %q, not a line of --hash '*' = %q", one, all)
	}
	if _, err := runConfigTest(t, dir, &globalOptions{}, configOptions{Hash: "nope"}); err == nil || err.Error() != `--hash: no such service: "nope"` {
		t.Errorf("unknown service: %v", err)
	}
	// The hash follows what changes a container, here an interpolated value.
	other, _ := runConfigTest(t, dir, &globalOptions{}, configOptions{Hash: "web", Environ: map[string]string{"LOG_LEVEL": "debug"}})
	if strings.Contains(all, other) {
		t.Errorf("web hash did not change with its environment: %q", other)
	}
}

func TestConfigQuietAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) {
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("services:\n  a:\n    image: x\n")
	out, err := runConfigTest(t, dir, &globalOptions{}, configOptions{Quiet: true})
	if err != nil || out != "" {
		t.Errorf("-q on a valid file: %q, %v; want nothing", out, err)
	}
	write("services:\n  a:\n    imgae: x\n    ports: [\"80000:80\"]\n")
	_, err = runConfigTest(t, dir, &globalOptions{}, configOptions{Quiet: true})
	want := "DIR/compose.yaml:3:5: services.a.imgae: unknown key \"imgae\", did you mean \"image\"?\n" +
		"DIR/compose.yaml:4:13: services.a.ports[0]: invalid port \"80000:80\": port 80000 is out of range 1-65535"
	if err == nil || strings.ReplaceAll(err.Error(), dir, "DIR") != want {
		t.Errorf("-q on a broken file: %v\nwant: %s", err, want)
	}
	if _, err := runConfigTest(t, dir, &globalOptions{}, configOptions{Format: "toml"}); err == nil || err.Error() != `--format "toml": expected yaml or json` {
		t.Errorf("bad format: %v", err)
	}
}

func TestConfigStdin(t *testing.T) {
	dir := t.TempDir()
	out, err := runConfigTest(t, dir, &globalOptions{Files: []string{"-"}}, configOptions{ListServices: true, Stdin: strings.NewReader("services:\n  b: {image: x}\n  a: {image: y}\n")})
	if err != nil || out != "a\nb\n" {
		t.Errorf("-f -: %q, %v", out, err)
	}
}
