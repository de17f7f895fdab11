package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The packages of the demo's base image; the web image's RUN adds Flask and
// the Redis client from Debian's archive.
const demoBasePackages = "python3,redis-server"

// demoPage is one answer of the example's page.
type demoPage struct {
	name     string
	hostname string
	visits   int // 0 when the counter is disabled
	disabled bool
}

var demoPageRE = regexp.MustCompile(`<h3>Hello (.*)!</h3><b>Hostname:</b> (\S+)<br/><b>Visits:</b> (.*)$`)

// flaskDemo is the Flask+Redis example driven through the built binary with
// its own state directories, project name and published port.
type flaskDemo struct {
	t       *testing.T
	bin     string
	root    string
	run     string
	dir     string
	project string
	port    int
}

// TestDemoFlaskRedis runs examples/flask-redis the way the README does:
// build, up, count visits, change the environment, lose and regain Redis,
// and down, after which nothing of the project is left on the host.
func TestDemoFlaskRedis(t *testing.T) {
	d := newFlaskDemo(t)
	d.must("up", "-d")

	web, redis := d.containerIDs()
	for want := 1; want <= 3; want++ {
		page := d.countedPage()
		if page.visits != want || page.name != "World" {
			t.Fatalf("page %d: got Hello %s! Visits %d, want Hello World! Visits %d", want, page.name, page.visits, want)
		}
		if page.hostname != web[:12] {
			t.Errorf("hostname: got %q, want the web container's %q", page.hostname, web[:12])
		}
	}
	d.checkInspectHostname(web)
	d.checkPs()

	d.writeStackFile("Stack")
	d.must("up", "-d")
	newWeb, newRedis := d.containerIDs()
	if newRedis != redis {
		t.Errorf("redis was recreated by a change to web's environment: %s -> %s", redis[:12], newRedis[:12])
	}
	if newWeb == web {
		t.Errorf("web was not recreated after its environment changed")
	}
	if page := d.countedPage(); page.visits != 4 || page.name != "Stack" || page.hostname != newWeb[:12] {
		t.Errorf("after the change: got %+v, want Hello Stack!, hostname %s, Visits 4", page, newWeb[:12])
	}

	d.must("stop", "redis")
	if page := d.pollPage("the counter disabled", func(p demoPage) bool { return p.disabled }); page.name != "Stack" {
		t.Errorf("with redis stopped: got %+v", page)
	}
	d.must("start", "redis")
	first := d.countedPage()
	if second := d.countedPage(); second.visits != first.visits+1 {
		t.Errorf("after start redis: visits %d then %d, want consecutive counts", first.visits, second.visits)
	}

	d.downLeavesNothing(append(d.allContainerIDs(), web))
}

func newFlaskDemo(t *testing.T) *flaskDemo {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	base := demoBaseTarball(t)
	dir := t.TempDir()
	// Unix socket paths under the run root must stay short.
	run, err := os.MkdirTemp("", "dm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	d := &flaskDemo{
		t: t, bin: demoBinary(t), root: filepath.Join(dir, "root"), run: run,
		dir: filepath.Join(dir, "flask-redis"), project: fmt.Sprintf("demo%d", os.Getpid()%100000),
		port: freeTCPPort(t),
	}
	if err := os.CopyFS(d.dir, os.DirFS("../../examples/flask-redis")); err != nil {
		t.Fatal(err)
	}
	d.writeStackFile("")
	t.Cleanup(func() {
		if out, err := d.stack("down", "-t", "0"); err != nil {
			t.Logf("cleanup: stack down: %v\n%s", err, out)
		}
	})
	d.must("image", "import", base, "demo-base:bookworm")
	return d
}

// writeStackFile writes the example's stack file with the test's port and,
// when name is set, an environment entry NAME for web.
func (d *flaskDemo) writeStackFile(name string) {
	src, err := os.ReadFile("../../examples/flask-redis/stack.yaml")
	if err != nil {
		d.t.Fatal(err)
	}
	text := string(src)
	published := fmt.Sprintf(`"%d:80"`, d.port)
	if !strings.Contains(text, `"4000:80"`) {
		d.t.Fatalf("examples/flask-redis/stack.yaml no longer publishes \"4000:80\":\n%s", text)
	}
	text = strings.Replace(text, `"4000:80"`, published, 1)
	if name != "" {
		text = strings.Replace(text, "    ports:\n", "    environment:\n      NAME: "+name+"\n    ports:\n", 1)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "stack.yaml"), []byte(text), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

func (d *flaskDemo) stack(args ...string) ([]byte, error) {
	full := append([]string{"--root", d.root, "--run-root", d.run, "-p", d.project}, args...)
	cmd := exec.Command(d.bin, full...)
	cmd.Dir = d.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return append(out, stderr.Bytes()...), err
	}
	return out, nil
}

func (d *flaskDemo) must(args ...string) []byte {
	d.t.Helper()
	out, err := d.stack(args...)
	if err != nil {
		d.t.Fatalf("stack %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// demoPsEntry is the part of `stack ps --format json` the test reads.
type demoPsEntry struct {
	ID, Name, Service, State string
	Publishers               []struct {
		URL           string
		TargetPort    int
		PublishedPort int
		Protocol      string
	}
}

func (d *flaskDemo) ps(args ...string) []demoPsEntry {
	d.t.Helper()
	out := d.must(append([]string{"ps", "--format", "json"}, args...)...)
	var entries []demoPsEntry
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var batch json.RawMessage
		if err := dec.Decode(&batch); err != nil {
			d.t.Fatalf("stack ps --format json: %v\n%s", err, out)
		}
		if bytes.HasPrefix(bytes.TrimSpace(batch), []byte("[")) {
			var list []demoPsEntry
			if err := json.Unmarshal(batch, &list); err != nil {
				d.t.Fatalf("stack ps --format json: %v\n%s", err, out)
			}
			entries = append(entries, list...)
			continue
		}
		var e demoPsEntry
		if err := json.Unmarshal(batch, &e); err != nil {
			d.t.Fatalf("stack ps --format json: %v\n%s", err, out)
		}
		entries = append(entries, e)
	}
	return entries
}

// containerIDs returns the IDs of the one web and the one redis container.
func (d *flaskDemo) containerIDs() (web, redis string) {
	d.t.Helper()
	for _, e := range d.ps() {
		switch e.Service {
		case "web":
			web = e.ID
		case "redis":
			redis = e.ID
		}
	}
	if len(web) < 12 || len(redis) < 12 {
		d.t.Fatalf("stack ps: want a web and a redis container, got web %q redis %q", web, redis)
	}
	return web, redis
}

func (d *flaskDemo) allContainerIDs() []string {
	var ids []string
	for _, e := range d.ps("-a") {
		ids = append(ids, e.ID)
	}
	return ids
}

// checkPs: both services run, web publishes the port on all addresses.
func (d *flaskDemo) checkPs() {
	d.t.Helper()
	for _, e := range d.ps() {
		if e.State != "running" {
			d.t.Errorf("stack ps: %s is %q, want running", e.Name, e.State)
		}
		if e.Service == "web" && (len(e.Publishers) != 1 || e.Publishers[0].URL != "0.0.0.0" ||
			e.Publishers[0].PublishedPort != d.port || e.Publishers[0].TargetPort != 80 || e.Publishers[0].Protocol != "tcp") {
			d.t.Errorf("stack ps: web publishes %+v, want 0.0.0.0:%d->80/tcp", e.Publishers, d.port)
		}
	}
	table := string(d.must("ps"))
	wantPort := fmt.Sprintf("0.0.0.0:%d->80/tcp", d.port)
	for _, want := range []string{d.project + "-web-1", d.project + "-redis-1", wantPort} {
		if !strings.Contains(table, want) {
			d.t.Errorf("stack ps table lacks %q:\n%s", want, table)
		}
	}
}

func (d *flaskDemo) checkInspectHostname(web string) {
	d.t.Helper()
	var got []struct{ Hostname string }
	out := d.must("container", "inspect", web)
	if err := json.Unmarshal(out, &got); err != nil || len(got) != 1 {
		d.t.Fatalf("stack container inspect: %v\n%s", err, out)
	}
	if got[0].Hostname != web[:12] {
		d.t.Errorf("container inspect: hostname %q, want %q", got[0].Hostname, web[:12])
	}
}

// fetchPage makes one request; each answer with a count is one visit.
func (d *flaskDemo) fetchPage() (demoPage, error) {
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", d.port))
	if err != nil {
		return demoPage{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return demoPage{}, err
	}
	m := demoPageRE.FindStringSubmatch(strings.TrimSpace(string(body)))
	if resp.StatusCode != http.StatusOK || m == nil {
		return demoPage{}, fmt.Errorf("status %d, page %q", resp.StatusCode, body)
	}
	page := demoPage{name: m[1], hostname: m[2]}
	if m[3] == "<i>cannot connect to Redis, counter disabled</i>" {
		page.disabled = true
		return page, nil
	}
	if page.visits, err = strconv.Atoi(m[3]); err != nil {
		return demoPage{}, fmt.Errorf("visits %q: %v", m[3], err)
	}
	return page, nil
}

// pollPage asks for the page until ok accepts it, for up to two minutes:
// Flask and Redis start at their own pace on a loaded machine.
func (d *flaskDemo) pollPage(what string, ok func(demoPage) bool) demoPage {
	d.t.Helper()
	var last string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		page, err := d.fetchPage()
		if err == nil && ok(page) {
			return page
		}
		last = fmt.Sprintf("%+v %v", page, err)
	}
	logs, _ := d.stack("logs")
	d.t.Fatalf("the page never showed %s; last answer: %s\nstack logs:\n%s", what, last, logs)
	return demoPage{}
}

func (d *flaskDemo) countedPage() demoPage {
	d.t.Helper()
	return d.pollPage("a visit count", func(p demoPage) bool { return !p.disabled })
}

// freeTCPPort is a port nothing listens on right now, so that the test does
// not collide with whatever else uses 4000 on the machine.
func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// demoBaseTarball is the Debian root filesystem with the demo's base
// packages, made by examples/base-images/debian-rootfs.sh once and kept
// under /var/cache/stack-test, named by its package list.
func demoBaseTarball(t *testing.T) string {
	dir := "/var/cache/stack-test"
	path := filepath.Join(dir, "debian-rootfs-"+strings.ReplaceAll(demoBasePackages, ",", "_")+".tar")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skip("mmdebstrap is not installed: cannot make the Debian base image of the demo")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil {
		return path // made by another process while this one waited
	}
	out, err := exec.Command("../../examples/base-images/debian-rootfs.sh", path, demoBasePackages).CombinedOutput()
	if err != nil {
		t.Fatalf("debian-rootfs.sh %s: %v\n%s", demoBasePackages, err, out)
	}
	return path
}

// demoBinary is $STACK_BIN or a stack binary built for this test.
func demoBinary(t *testing.T) string {
	if bin := os.Getenv("STACK_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "stack")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
