package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const lcWebDB = `name: NAME
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo web says $$GREETING; exec sleep 1000"]
    environment:
      GREETING: hello
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox
    command: ["sh", "-c", "touch /tmp/ready; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 100ms
    volumes:
      - data:/data
volumes:
  data:
`

func TestLifecycleUpPlanRecreateDown(t *testing.T) {
	e := newLcEnv(t, lcWebDB)
	web, db := e.project+"-web-1", e.project+"-db-1"

	plan := e.must("plan")
	for _, want := range []string{"create network " + e.project + "_default: not found", "create " + db + ": no container", "await container " + db + " service_healthy: needed by web"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	e.must("up", "-d")
	first := e.containers()
	if len(first) != 2 || first[web].State != "running" || first[db].Health != "healthy" {
		t.Fatalf("after up: %+v", first)
	}
	if got := e.must("plan"); !strings.HasPrefix(got, "nothing to do") {
		t.Errorf("plan after up:\n%s", got)
	}
	_, errOut, _ := e.stack("up", "-d")
	if strings.Contains(errOut, "Creat") || strings.Contains(errOut, "Start") {
		t.Errorf("a second up acted:\n%s", errOut)
	}

	e.write(strings.Replace(lcWebDB, "GREETING: hello", "GREETING: bonjour", 1))
	if got := e.must("plan"); !strings.Contains(got, "recreate "+web+": environment changed") {
		t.Errorf("plan after an environment change:\n%s", got)
	}
	e.must("up", "-d")
	second := e.containers()
	if second[web].ID == first[web].ID || second[db].ID != first[db].ID {
		t.Errorf("recreate: web %s -> %s (want new), db %s -> %s (want kept)", first[web].ID, second[web].ID, first[db].ID, second[db].ID)
	}
	if second[web].Labels == "" || !strings.Contains(second[web].Labels, "com.docker.compose.config-hash=") {
		t.Errorf("web labels: %s", second[web].Labels)
	}
	if logs := e.must("logs", "--no-log-prefix", "web"); !strings.Contains(logs, "web says bonjour") {
		t.Errorf("logs web:\n%s", logs)
	}

	// A replacement that cannot be created (the imported image sets no
	// command, so web without one fails at create) leaves the old web
	// running under its name, and no half-made replacement behind.
	noCommand := strings.Replace(strings.Replace(lcWebDB, "GREETING: hello", "GREETING: hola", 1),
		`    command: ["sh", "-c", "echo web says $$GREETING; exec sleep 1000"]`+"\n", "", 1)
	e.write(noCommand)
	if _, errOut, code := e.stack("up", "-d"); code == 0 || !strings.Contains(errOut, "no command") {
		t.Errorf("up with an uncreatable web: exit %d, stderr:\n%s", code, errOut)
	}
	third := e.containers()
	if len(third) != 2 || third[web].ID != second[web].ID || third[web].State != "running" {
		t.Errorf("after a failed recreate: %+v, want web %s still running and nothing else", third, second[web].ID)
	}
	e.write(strings.Replace(lcWebDB, "GREETING: hello", "GREETING: bonjour", 1))

	e.must("down")
	if got := e.containers(); len(got) != 0 {
		t.Errorf("containers after down: %v", got)
	}
	if vols := e.must("volume", "ls", "-q"); !strings.Contains(vols, e.project+"_data") {
		t.Errorf("down removed the named volume: %q", vols)
	}
	if nets := e.must("network", "ls", "-q"); strings.Contains(nets, e.project+"_default") {
		t.Errorf("down kept the network: %q", nets)
	}
	e.must("down", "-v")
	if vols := e.must("volume", "ls", "-q"); strings.Contains(vols, e.project+"_data") {
		t.Errorf("down -v kept the named volume: %q", vols)
	}
}

func TestLifecycleDependencyFailures(t *testing.T) {
	tests := []struct {
		name, dep, condition, want string
	}{
		{"completed", `["sh", "-c", "echo migrating; exit 3"]`, "service_completed_successfully", "exited (3)"},
		{"unhealthy", `["sh", "-c", "exec sleep 1000"]`, "service_healthy", "is unhealthy: last probe exited 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLcEnv(t, `name: NAME
services:
  app:
    image: busybox
    command: ["sleep", "1000"]
    depends_on:
      dep:
        condition: `+tt.condition+`
  dep:
    image: busybox
    command: `+tt.dep+`
    healthcheck:
      test: ["CMD", "false"]
      interval: 100ms
      retries: 1
`)
			_, errOut, code := e.stack("up", "-d")
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("up: exit %d, stderr lacks %q:\n%s", code, tt.want, errOut)
			}
			if got := e.containers()[e.project+"-app-1"]; got.State != "created" {
				t.Errorf("app after its dependency failed: %+v, want created and not started", got)
			}
		})
	}
}

func TestLifecycleCompletedDependency(t *testing.T) {
	e := newLcEnv(t, `name: NAME
services:
  app:
    image: busybox
    command: ["sh", "-c", "cat /shared/done; exec sleep 1000"]
    volumes: [shared:/shared]
    depends_on:
      init:
        condition: service_completed_successfully
  init:
    image: busybox
    command: ["sh", "-c", "echo initialized > /shared/done"]
    volumes: [shared:/shared]
volumes:
  shared:
`)
	e.must("up", "-d")
	if got := e.containers()[e.project+"-app-1"]; got.State != "running" {
		t.Fatalf("app: %+v", got)
	}
	if logs := e.must("logs", "app"); !strings.Contains(logs, "initialized") {
		t.Errorf("app did not start after init completed:\n%s", logs)
	}
	if got := e.must("plan"); !strings.HasPrefix(got, "nothing to do") {
		t.Errorf("plan after up, with init completed:\n%s", got)
	}
}

func TestLifecycleOrphansAndScale(t *testing.T) {
	two := `name: NAME
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
  old:
    image: busybox
    command: ["sleep", "1000"]
`
	e := newLcEnv(t, two)
	e.must("up", "-d", "--scale", "web=3")
	if got := len(e.containers()); got != 4 {
		t.Fatalf("%d containers after --scale web=3, want 4", got)
	}
	e.write(strings.SplitAfter(two, "    command: [\"sleep\", \"1000\"]\n")[0])
	_, errOut, _ := e.stack("up", "-d", "--scale", "web=3")
	if !strings.Contains(errOut, "found orphan containers ("+e.project+"-old-1)") {
		t.Errorf("no orphan warning:\n%s", errOut)
	}
	if _, ok := e.containers()[e.project+"-old-1"]; !ok {
		t.Error("the orphan was removed without --remove-orphans")
	}
	e.must("up", "-d", "--remove-orphans")
	got := e.containers()
	if _, ok := got[e.project+"-old-1"]; ok || len(got) != 1 {
		t.Errorf("after up --remove-orphans (scale back to 1): %v", got)
	}
}

func TestLifecycleVolumes(t *testing.T) {
	e := newLcEnv(t, `name: NAME
services:
  app:
    image: busybox
    command: ["sh", "-c", "echo $$RANDOM >> /named/runs; exec sleep 1000"]
    environment: {V: "1"}
    volumes:
      - named:/named
      - /anon
      - ./host:/host
      - type: tmpfs
        target: /scratch
volumes:
  named:
`)
	e.must("up", "-d")
	e.must("exec", "-T", "app", "sh", "-c", "echo kept > /anon/file && echo bound > /host/file && mount | grep -q ' /scratch type tmpfs'")
	if data, err := os.ReadFile(filepath.Join(e.dir, "host", "file")); err != nil || string(data) != "bound\n" {
		t.Errorf("bind mount under the project directory: %q, %v", data, err)
	}
	e.write(strings.Replace(e.readStack(), `V: "1"`, `V: "2"`, 1))
	e.must("up", "-d")
	if out := e.must("exec", "-T", "app", "cat", "/anon/file"); out != "kept\n" {
		t.Errorf("anonymous volume after recreate: %q, want it carried over", out)
	}
	e.must("down")
	e.must("up", "-d")
	if out := e.must("exec", "-T", "app", "sh", "-c", "wc -l < /named/runs"); strings.TrimSpace(out) != "3" {
		t.Errorf("named volume after down and up holds %s runs, want 3", out)
	}
}

func (e *lcEnv) readStack() string {
	data, err := os.ReadFile(filepath.Join(e.dir, "stack.yaml"))
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.ReplaceAll(string(data), e.project, "NAME")
}
