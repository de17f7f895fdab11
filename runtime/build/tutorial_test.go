package build

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestTutorialOnDebian builds the tutorial's Dockerfile
// (examples/flask-redis) on the Debian demo base. Tests reach no network
// but loopback, so its RUN installs the Debian packages from what the base
// already has (apt-get install without update) with --network none, and
// checks that Python finds them.
func TestTutorialOnDebian(t *testing.T) {
	e := newTestEnv(t)
	needDemoBase(t)
	importTar(t, e.store, demoBase, "demo-base:bookworm")
	example, _ := filepath.Abs("../../examples/flask-redis")
	dir := t.TempDir()
	for _, name := range []string{"app.py", "requirements.txt"} {
		b, err := os.ReadFile(filepath.Join(example, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	dockerfile, err := os.ReadFile(filepath.Join(example, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	offline := strings.Replace(string(dockerfile), "apt-get update -q &&", "", 1)
	offline = strings.Replace(offline, "EXPOSE 80", "RUN python3 -c 'import flask, redis' && test -f /app/app.py\nEXPOSE 80", 1)
	res := e.mustBuild(dir, offline, Options{Network: "none", Tags: []string{"web:latest"}})
	c := configOf(t, res.Image).Config
	if c.WorkingDir != "/app" || !reflect.DeepEqual(c.Cmd, []string{"python3", "app.py"}) || !hasEnv(c.Env, "NAME") {
		t.Errorf("config WorkingDir %q Cmd %q Env %q, want /app, [python3 app.py], NAME set", c.WorkingDir, c.Cmd, c.Env)
	}
	if _, ok := c.ExposedPorts["80/tcp"]; !ok {
		t.Errorf("ExposedPorts = %v, want 80/tcp", c.ExposedPorts)
	}
	res = e.mustBuild(dir, offline, Options{Network: "none", Tags: []string{"web:latest"}})
	if res.Cached != res.Steps-1 {
		t.Errorf("rebuild: %d of %d steps cached, want all but FROM\n%s", res.Cached, res.Steps, e.out.String())
	}
}
