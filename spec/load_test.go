package spec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes name → content under a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, options Options) *Project {
	t.Helper()
	if options.Environ == nil {
		options.Environ = map[string]string{}
	}
	p, err := Load(context.Background(), options)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func serviceJSON(t *testing.T, s *Service) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMergeFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml": `
services:
  web:
    image: web:1
    command: ["serve", "--port", "80"]
    environment: [A=1, B=2]
    labels: {tier: front}
    ports: ["8080:80"]
    volumes: ["./src:/app", "data:/data"]
    dns: [1.1.1.1]
    healthcheck:
      test: curl -f localhost
      interval: 10s
volumes:
  data: {}
`,
		"override.yaml": `
services:
  web:
    image: web:2
    command: ["serve"]
    environment: {B: "3", C: "4"}
    labels: [extra=yes]
    ports: ["9090:90"]
    volumes: ["./other:/app"]
    dns: [8.8.8.8]
    healthcheck:
      retries: 3
    user: !reset
    cap_add: !override [NET_ADMIN]
`,
	})
	p := mustLoad(t, Options{WorkingDir: dir, Files: []string{"compose.yaml", "override.yaml"}})
	web := p.Services["web"]
	if web.Image != "web:2" || !equalStrings(web.Command, []string{"serve"}) {
		t.Errorf("image, command = %q, %q; want web:2, [serve]", web.Image, web.Command)
	}
	env := map[string]string{}
	for k, v := range web.Environment {
		env[k] = *v
	}
	if len(env) != 3 || env["A"] != "1" || env["B"] != "3" || env["C"] != "4" {
		t.Errorf("environment = %v, want A=1 B=3 C=4", env)
	}
	if web.Labels["tier"] != "front" || web.Labels["extra"] != "yes" {
		t.Errorf("labels = %v", web.Labels)
	}
	if len(web.Ports) != 2 {
		t.Errorf("ports = %+v, want both", web.Ports)
	}
	if len(web.Volumes) != 2 || web.Volumes[0].Source != filepath.Join(dir, "other") {
		t.Errorf("volumes = %+v, want /app replaced by ./other", web.Volumes)
	}
	if !equalStrings(web.DNS, []string{"8.8.8.8"}) {
		t.Errorf("dns = %v, want replaced", web.DNS)
	}
	h := web.Healthcheck
	if h == nil || h.Retries == nil || *h.Retries != 3 || h.Interval == nil || len(h.Test) != 2 {
		t.Errorf("healthcheck = %+v, want merged", h)
	}
	if !equalStrings(web.CapAdd, []string{"NET_ADMIN"}) {
		t.Errorf("cap_add = %v", web.CapAdd)
	}
}

func TestProjectName(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"My App.v2/compose.yaml":  "services:\n  a:\n    image: x\n",
		"named/compose.yaml":      "name: fromfile\nservices:\n  a:\n    image: x\n",
		"dotenvname/compose.yaml": "name: fromfile\nservices:\n  a:\n    image: x\n",
		"dotenvname/.env":         "COMPOSE_PROJECT_NAME=fromdotenv\n",
	})
	tests := []struct {
		sub, flag string
		env       map[string]string
		want      string
	}{
		{"My App.v2", "", nil, "myappv2"},
		{"named", "", nil, "fromfile"},
		{"named", "", map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"}, "fromenv"},
		{"named", "flag", map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"}, "flag"},
		{"dotenvname", "", nil, "fromdotenv"},
	}
	for _, tt := range tests {
		p := mustLoad(t, Options{WorkingDir: filepath.Join(dir, tt.sub), ProjectName: tt.flag, Environ: tt.env})
		if p.Name != tt.want {
			t.Errorf("%s, -p %q, env %v: name %q, want %q", tt.sub, tt.flag, tt.env, p.Name, tt.want)
		}
		if p.Networks["default"].Name != tt.want+"_default" {
			t.Errorf("default network name %q", p.Networks["default"].Name)
		}
	}
	_, err := Load(context.Background(), Options{WorkingDir: filepath.Join(dir, "named"), ProjectName: "Bad Name", Environ: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), `project name "Bad Name" is not valid`) {
		t.Errorf("bad -p: %v", err)
	}
}

func TestDiscovery(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"proj/docker-compose.yml":      "services:\n  old:\n    image: x\n",
		"proj/compose.yaml":            "services:\n  a:\n    image: x\n",
		"proj/compose.override.yaml":   "services:\n  a:\n    image: y\n",
		"proj/deep/er/placeholder.txt": "",
		"withstack/stack.yaml":         "services:\n  s:\n    image: x\n",
		"withstack/compose.yaml":       "services:\n  c:\n    image: x\n",
	})
	p := mustLoad(t, Options{WorkingDir: filepath.Join(dir, "proj", "deep", "er")})
	if got := p.ServiceNames(); len(got) != 1 || got[0] != "a" || p.Services["a"].Image != "y" {
		t.Errorf("services %v image %q: want a from compose.yaml with its override", got, p.Services["a"].Image)
	}
	if p.Name != "proj" {
		t.Errorf("name %q, want the directory of the file found", p.Name)
	}
	p = mustLoad(t, Options{WorkingDir: filepath.Join(dir, "withstack")})
	if _, ok := p.Services["s"]; !ok {
		t.Errorf("stack.yaml must win over compose.yaml, got %v", p.ServiceNames())
	}
	_, err := Load(context.Background(), Options{WorkingDir: "/", Environ: map[string]string{}})
	if !errors.Is(err, ErrNoStackFile) {
		t.Errorf("no file: %v, want ErrNoStackFile", err)
	}
}

func TestStdin(t *testing.T) {
	dir := t.TempDir()
	p := mustLoad(t, Options{WorkingDir: dir, Files: []string{"-"}, Stdin: strings.NewReader("services:\n  a:\n    image: x\n    volumes: [./d:/d]\n")})
	if got := p.Services["a"].Volumes[0].Source; got != filepath.Join(dir, "d") {
		t.Errorf("bind source %q, want relative to the working directory", got)
	}
}

func TestProfiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"compose.yaml": `
services:
  app: {image: x}
  debug: {image: x, profiles: [debug]}
  test: {image: x, profiles: [test, ci]}
  needsdebug: {image: x, profiles: [ci], depends_on: [debug]}
`})
	tests := []struct {
		profiles []string
		env      map[string]string
		want     string
		err      string
	}{
		{nil, nil, "app", ""},
		{[]string{"debug"}, nil, "app,debug", ""},
		{nil, map[string]string{"COMPOSE_PROFILES": "test"}, "app,test", ""},
		{[]string{"*"}, nil, "app,debug,needsdebug,test", ""},
		{[]string{"ci"}, nil, "", `services.needsdebug.depends_on.debug: depends on service "debug", which is disabled by its profiles`},
	}
	for _, tt := range tests {
		p, err := Load(context.Background(), Options{WorkingDir: dir, Profiles: tt.profiles, Environ: orEmpty(tt.env)})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("profiles %v: error %v, want %q", tt.profiles, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(p.ServiceNames(), ","); got != tt.want {
			t.Errorf("profiles %v env %v: services %s, want %s", tt.profiles, tt.env, got, tt.want)
		}
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func TestExtendsAcrossFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml": `
services:
  web:
    extends: {file: common/base.yaml, service: base}
    environment: {MODE: web}
  worker:
    extends: web
    command: work
  tools:
    extends: {file: common/base.yaml, service: base}
    build: {context: ./local}
`,
		"common/base.yaml": `
services:
  base:
    build: ./app
    env_file: base.env
    environment: {MODE: base, SHARED: "1"}
    volumes: [./data:/data]
`,
		"common/base.env": "FROM_FILE=yes\n",
	})
	p := mustLoad(t, Options{WorkingDir: dir})
	for _, name := range []string{"web", "worker"} {
		s := p.Services[name]
		if s.Build == nil || s.Build.Context != filepath.Join(dir, "common", "app") {
			t.Errorf("%s: build %+v, want the context relative to base.yaml", name, s.Build)
		}
		if got := s.Volumes[0].Source; got != filepath.Join(dir, "common", "data") {
			t.Errorf("%s: bind source %q", name, got)
		}
		if v := s.Environment["MODE"]; v == nil || *v != "web" {
			t.Errorf("%s: MODE = %v, want web", name, v)
		}
		if v := s.Environment["FROM_FILE"]; v == nil || *v != "yes" {
			t.Errorf("%s: FROM_FILE = %v, want yes from base.env", name, v)
		}
	}
	if got := p.Services["tools"].Build.Context; got != filepath.Join(dir, "local") {
		t.Errorf("tools: context %q, want the overriding context relative to compose.yaml", got)
	}
	if !equalStrings(p.Services["worker"].Command, []string{"work"}) {
		t.Errorf("worker command %q", p.Services["worker"].Command)
	}
}

func TestExtendsCycle(t *testing.T) {
	_, got := loadString(t, "services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: a\n", nil)
	want := "DIR/stack.yaml:4:14: services.a.extends: circular reference: a -> b -> a"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestInclude(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml": `
include:
  - path: db/compose.yaml
    env_file: db/custom.env
services:
  web:
    image: web
    depends_on: [db]
`,
		"db/compose.yaml": "services:\n  db:\n    image: postgres:${PG_VERSION}\n    volumes: [./init:/init]\n",
		"db/custom.env":   "PG_VERSION=16\n",
	})
	p := mustLoad(t, Options{WorkingDir: dir})
	db := p.Services["db"]
	if db == nil || db.Image != "postgres:16" {
		t.Fatalf("db = %+v, want postgres:16 from the include's env_file", db)
	}
	if got := db.Volumes[0].Source; got != filepath.Join(dir, "db", "init") {
		t.Errorf("db bind source %q, want relative to the included file", got)
	}
	dup := writeFiles(t, map[string]string{
		"compose.yaml": "include: [other.yaml]\nservices:\n  db:\n    image: mine\n",
		"other.yaml":   "services:\n  db:\n    image: theirs\n",
	})
	_, err := Load(context.Background(), Options{WorkingDir: dup, Environ: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "services.db: conflicts with the service of the same name included by include[0]") {
		t.Errorf("conflict: %v", err)
	}
}

func TestEnvFileAndEnvironment(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml": `
services:
  a:
    image: x
    env_file:
      - common.env
      - path: missing.env
        required: false
    environment:
      - OVERRIDE=from-environment
      - PASSTHROUGH
      - ABSENT
`,
		"common.env": "OVERRIDE=from-file\nONLY_FILE=1\nQUOTED=\"a b\"\n",
	})
	p := mustLoad(t, Options{WorkingDir: dir, Environ: map[string]string{"PASSTHROUGH": "shell"}})
	env := p.Services["a"].Environment
	want := map[string]string{"OVERRIDE": "from-environment", "ONLY_FILE": "1", "QUOTED": "a b", "PASSTHROUGH": "shell"}
	for k, v := range want {
		if env[k] == nil || *env[k] != v {
			t.Errorf("%s = %v, want %q", k, env[k], v)
		}
	}
	if v, ok := env["ABSENT"]; !ok || v != nil {
		t.Errorf("ABSENT = %v, %v; want present and unset", v, ok)
	}
}

func TestHash(t *testing.T) {
	load := func(content string) *Service {
		t.Helper()
		dir := writeFiles(t, map[string]string{"compose.yaml": content})
		return mustLoad(t, Options{WorkingDir: dir, Profiles: []string{"p"}}).Services["a"]
	}
	a1 := load("services:\n  a:\n    image: x\n    environment: {A: '1', B: '2'}\n")
	a2 := load("services:\n  a:\n    environment: [B=2, A=1]\n    image: x\n    scale: 3\n    pull_policy: always\n    depends_on: [b]\n    profiles: [p]\n    x-note: ignored\n    build: .\n  b:\n    image: y\n")
	a3 := load("services:\n  a:\n    image: x\n    environment: {A: '1', B: '3'}\n")
	h1, _ := ServiceHash(a1)
	h2, _ := ServiceHash(a2)
	h3, _ := ServiceHash(a3)
	if h1 != h2 {
		t.Errorf("hash changed with syntax, scale, pull_policy, depends_on, profiles, build or x-*: %s vs %s\n%s\n%s", h1, h2, serviceJSON(t, a1), serviceJSON(t, a2))
	}
	if h1 == h3 {
		t.Errorf("hash did not change with the environment")
	}
	if len(h1) != 64 {
		t.Errorf("hash %q is not hex sha256", h1)
	}
}

func TestExtensionsOutput(t *testing.T) {
	p, errText := loadString(t, "x-common: &c {image: x}\nservices:\n  a:\n    <<: *c\n    x-owner: team\n", nil)
	if errText != "" {
		t.Fatal(errText)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"x-common":{"image":"x"}`, `"x-owner":"team"`, `"image":"x"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
}

// TestDotenvLocations follows the corpus fixtures where the .env of the
// working directory and the one of the project directory both apply.
func TestDotenvLocations(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "docker-compose-e2e", "fixtures")
	tests := []struct {
		workingDir, projectDir string
		service, want          string
		enabled                string
	}{
		{"nested", "", "echo", "echo root win=root", ""},
		{"nested/sub", "", "echo", "echo root sub win=sub", ""},
		{"dotenv", "", "backend", "test:latest", "test"},
		{"dotenv", "development", "backend", "backend:latest", ""},
	}
	for _, tt := range tests {
		options := Options{WorkingDir: filepath.Join(dir, tt.workingDir)}
		if tt.projectDir != "" {
			options.ProjectDir = tt.projectDir
		}
		p := mustLoad(t, options)
		s := p.Services[tt.service]
		got := s.Image
		if s.Command != nil {
			got = strings.Join(s.Command, " ")
		}
		if got != tt.want {
			t.Errorf("%s (project dir %q): %q, want %q", tt.workingDir, tt.projectDir, got, tt.want)
		}
		if tt.enabled != "" && p.Services[tt.enabled] == nil {
			t.Errorf("%s: service %s not enabled by COMPOSE_PROFILES from .env", tt.workingDir, tt.enabled)
		}
	}
}

func TestSecretFromIncludedEnv(t *testing.T) {
	dir := corpusDir(t)
	p, err := loadCorpus(dir, []string{"docker-compose-e2e/testdata/TestSecretFromEnv/compose.yaml"}, map[string]string{"SECRET": "top"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"secret": "top", "my-secret": "this-is-secret"} {
		s := p.Secrets[name]
		if s == nil || s.EnvironmentValue == nil || *s.EnvironmentValue != want {
			t.Errorf("secret %s = %+v, want value %q", name, s, want)
		}
	}
	if m := p.Services["foo"].Secrets[0].Mode; m == nil || *m != 0o440 {
		t.Errorf("mode 0440 read as %v, want octal", m)
	}
}

func TestYAMLFeatures(t *testing.T) {
	p, errText := loadString(t, `
x-base: &base
  image: base
  environment: {A: "1"}
x-extra: &extra
  image: extra
  restart: always
services:
  a:
    <<: [*base, *extra]
    environment: {B: "2"}
  b:
    <<: *extra
    image: own
`, nil)
	if errText != "" {
		t.Fatal(errText)
	}
	a, b := p.Services["a"], p.Services["b"]
	if a.Image != "base" || a.Restart != "always" {
		t.Errorf("a: image %q restart %q; want the first merged mapping to win", a.Image, a.Restart)
	}
	if _, ok := a.Environment["A"]; ok || a.Environment["B"] == nil {
		t.Errorf("a: environment %v; an explicit key replaces the merged one whole", a.Environment)
	}
	if b.Image != "own" || b.Restart != "always" {
		t.Errorf("b: image %q restart %q", b.Image, b.Restart)
	}
	if _, ok := p.Extensions["x-base"]; !ok {
		t.Errorf("x-base missing from extensions %v", p.Extensions)
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "x-%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("services:\n  a:\n    image: x\n")
	_, errText := loadString(t, b.String(), nil)
	if !strings.Contains(errText, "document too large or too deeply nested (alias expansion)") {
		t.Errorf("got %q, want the expansion limit", errText)
	}
}

func TestEnvFilePriority(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "docker-compose-e2e", "testdata")
	tests := []struct {
		test     string
		envFiles []string
		environ  map[string]string
		want     string
	}{
		{"TestEnvInterpolation", nil, map[string]string{"IMAGE": "default_env:shell"}, "default_env:shell"},
		{"TestEnvInterpolationDefaultValue", nil, nil, "default_env:EnvFileDefaultValue"},
	}
	for _, tt := range tests {
		p := mustLoad(t, Options{WorkingDir: filepath.Join(dir, tt.test), EnvFiles: tt.envFiles, Environ: tt.environ})
		got := ""
		for _, s := range p.Services {
			if v := s.Environment["IMAGE"]; v != nil {
				got = *v
			}
		}
		if got != tt.want {
			t.Errorf("%s: IMAGE = %q, want %q", tt.test, got, tt.want)
		}
	}
}

func TestEnvFileSelection(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "docker-compose-e2e", "testdata", "TestEnvPriority")
	tests := []struct {
		envFiles []string
		environ  map[string]string
		want     string
	}{
		{nil, nil, "Env File"},
		{[]string{".env.override"}, nil, "override"},
		{[]string{".env", ".env.override"}, nil, "override"},
		{[]string{".env.override.with.default"}, nil, "EnvFileDefaultValue"},
		{nil, map[string]string{"COMPOSE_ENV_FILES": ".env.override"}, "override"},
		{[]string{".env.override"}, map[string]string{"WHEREAMI": "shell"}, "shell"},
		{[]string{".env.empty"}, nil, ""},
	}
	for _, tt := range tests {
		p := mustLoad(t, Options{WorkingDir: dir, EnvFiles: tt.envFiles, Environ: tt.environ})
		if got := p.Environment["WHEREAMI"]; got != tt.want {
			t.Errorf("--env-file %v, environ %v: WHEREAMI = %q, want %q", tt.envFiles, tt.environ, got, tt.want)
		}
	}
}
