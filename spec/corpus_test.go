package spec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// corpusDir is the shared corpus of public Compose files, next to the
// repository: ../shared/corpus from the repository root.
func corpusDir(t testing.TB) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "expectations.tsv")); err != nil {
		t.Skipf("corpus not found at %s (expected ../shared/corpus from the repository root): %v", dir, err)
	}
	return dir
}

type corpusRow struct {
	path, expected, reference, notes string
}

func corpusRows(t testing.TB, dir string) []corpusRow {
	f, err := os.Open(filepath.Join(dir, "expectations.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || strings.HasPrefix(cols[0], "#") || cols[0] == "path" {
			continue
		}
		row := corpusRow{path: cols[0], expected: cols[1], reference: cols[2]}
		if len(cols) > 3 {
			row.notes = cols[3]
		}
		rows = append(rows, row)
	}
	return rows
}

// corpusSetup is the environment the manifest names for the files that
// load only with it.
var corpusSetup = map[string]map[string]string{
	"docker-compose-e2e/fixtures/logs-test/cat.yaml":                       {"FILE": "/tmp/text_file.txt"},
	"docker-compose-e2e/testdata/TestImagesAfterImageRemoved/compose.yaml": {"REMOVED_IMAGE": "alpine:removed"},
	"docker-compose-e2e/testdata/TestUpWithBuildDependencies/compose.yaml": {"BUILT_IMAGE": "built:latest"},
	"docker-compose-e2e/testdata/TestUpImageID/compose.yaml":               {"ID": "sha256:0123456789abcdef"},
	"docker-compose-e2e/testdata/TestUpContainerNameConflict/compose.yaml": {"FIXED_NAME": "fixed"},
}

// corpusFailures are the files the loader must reject, with a part of the
// message. Where stack deliberately differs from the reference loader the
// entry says why.
var corpusFailures = map[string]string{
	"compose-go/loader/testdata/compose-depends-on-cycle.yaml":            "services.service3.depends_on.service1: dependency cycle: service1 -> service2 -> service3 -> service1",
	"compose-go/loader/testdata/compose-depends-on-profile-no-cycle.yaml": "dependency cycle: service1 -> service2 -> service3 -> service1",
	"compose-go/loader/testdata/compose-depends-on-self.yaml":             "dependency cycle: service1 -> service1",
	"compose-go/loader/testdata/compose-include-cycle.yaml":               "include[0]: include cycle detected",
	"compose-go/loader/testdata/empty.yaml":                               "empty stack file",
	"compose-go/loader/testdata/extends/base.yaml":                        "services.nil: expected a mapping, got null",
	// remote: resources need a resource loader, which stack does not have.
	"compose-go/loader/testdata/remote/cycle/compose.yaml":                                                  "services.foo.extends.file: ",
	"compose-go/loader/testdata/remote/cycle/compose-cycle.yaml":                                            "services.bar.extends.file: ",
	"compose-go/loader/testdata/remote/nested/compose.yaml":                                                 "file not found",
	"docker-compose-e2e/fixtures/wrong-composefile/compose.yaml":                                            `services.simple.wrongField: unknown key "wrongField"`,
	"docker-compose-e2e/fixtures/env_file/compose.yaml":                                                     "services.serviceB.env_file[0]: env file /doesnotexist/.env not found",
	"docker-compose-e2e/fixtures/publish/oci/compose-override.yaml":                                         "services.app: service has neither an image nor a build context",
	"docker-compose-e2e/fixtures/build-test/platforms/compose-service-platform-not-in-build-platforms.yaml": `services.platforms.platform: platform "linux/riscv64" is not one of build.platforms`,
	"docker-compose-e2e/testdata/TestLocalComposeConfigNoConsistency/compose.yaml":                          `services.incomplete: service has neither an image nor a build context`,
	// Two services with one container_name can never run together; stack
	// says so at load time rather than at up.
	"docker-compose-e2e/testdata/TestUpContainerNameConflict/compose.yaml": `services.test.container_name: container name "fixed" is already used by service "another_test"`,
	"compose-go/loader/testdata/include/dir/compose.yaml":                  "extra.env not found",
	"real-world/netbox-docker/docker-compose.override.yml.example":         "services.netbox: service has neither an image nor a build context",
	"real-world/netbox-docker/docker-compose.test.override.yml":            "services.netbox: service has neither an image nor a build context",
}

// corpusMultiFile are projects made of several -f files.
var corpusMultiFile = map[string][]string{
	"publish-oci-override": {"docker-compose-e2e/fixtures/publish/oci/compose.yaml", "docker-compose-e2e/fixtures/publish/oci/compose-override.yaml"},
	"netbox-override":      {"real-world/netbox-docker/docker-compose.yml", "real-world/netbox-docker/docker-compose.override.yml.example"},
	"netbox-test-override": {"real-world/netbox-docker/docker-compose.test.yml", "real-world/netbox-docker/docker-compose.test.override.yml"},
}

var unsetRe = regexp.MustCompile(`unset \(warning, blank\): ([A-Z0-9_,]+)`)

// supabaseEnv sets the variables supabase's file requires, ports numeric.
func supabaseEnv(notes string) map[string]string {
	env := map[string]string{}
	if m := unsetRe.FindStringSubmatch(notes); m != nil {
		for _, name := range strings.Split(m[1], ",") {
			env[name] = "value-" + strings.ToLower(name)
		}
	}
	for _, name := range []string{"POSTGRES_PORT", "KONG_HTTP_PORT", "KONG_HTTPS_PORT", "POOLER_PROXY_PORT_TRANSACTION", "SMTP_PORT", "JWT_EXPIRY", "POOLER_DEFAULT_POOL_SIZE", "POOLER_MAX_CLIENT_CONN", "POOLER_DB_POOL_SIZE"} {
		env[name] = "5432"
	}
	env["DOCKER_SOCKET_LOCATION"] = "/var/run/docker.sock"
	return env
}

func loadCorpus(dir string, files []string, env map[string]string, options Options) (*Project, error) {
	options.WorkingDir = filepath.Dir(filepath.Join(dir, files[0]))
	for _, f := range files {
		options.Files = append(options.Files, filepath.Join(dir, f))
	}
	if env == nil {
		env = map[string]string{}
	}
	options.Environ = env
	return Load(context.Background(), options)
}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	// ~ in bind sources expands to the home directory; fix it so that the
	// goldens are the same everywhere.
	t.Setenv("HOME", "/home/stack-test")
	rows := corpusRows(t, dir)
	if len(rows) < 250 {
		t.Fatalf("read %d rows from expectations.tsv, want about 300", len(rows))
	}
	for _, row := range rows {
		t.Run(row.path, func(t *testing.T) {
			env := corpusSetup[row.path]
			if strings.HasPrefix(row.path, "real-world/supabase/") {
				env = supabaseEnv(row.notes)
			}
			project, err := loadCorpus(dir, []string{row.path}, env, Options{})
			if want, ok := corpusFailures[row.path]; ok {
				checkCorpusFailure(t, dir, row.path, err, want)
				return
			}
			if err != nil {
				t.Fatalf("load (expected %s): %v", row.expected, err)
			}
			checkGolden(t, dir, filepath.Join("testdata", "corpus", row.path+".json"), project)
		})
	}
	for name, files := range corpusMultiFile {
		t.Run("multi/"+name, func(t *testing.T) {
			project, err := loadCorpus(dir, files, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, dir, filepath.Join("testdata", "corpus", "multi", name+".json"), project)
		})
	}
}

var lineRe = regexp.MustCompile(`:\d+:\d+: `)

func checkCorpusFailure(t *testing.T, dir, path string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("loaded, want an error containing %q", want)
	}
	msg := err.Error()
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not contain %q", msg, want)
	}
	first := strings.SplitN(msg, "\n", 2)[0]
	if !strings.Contains(first, filepath.Join(dir, filepath.Dir(path))) || !lineRe.MatchString(first) {
		t.Errorf("error %q does not name the file and the line", first)
	}
}

// checkGolden compares the project's JSON output with a golden file; the
// corpus directory is written as ${CORPUS} so that goldens do not depend
// on where the repository is.
func checkGolden(t *testing.T, dir, golden string, project *Project) {
	t.Helper()
	got, err := json.MarshalIndent(project, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(bytes.ReplaceAll(got, []byte(dir), []byte("${CORPUS}")), '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", golden, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) && i < len(g); i++ {
		if w[i] != g[i] {
			return "line " + itoa(i+1) + ":\n  want: " + w[i] + "\n  got:  " + g[i]
		}
	}
	return "lengths differ"
}

func itoa(i int) string { return strconv.Itoa(i) }
