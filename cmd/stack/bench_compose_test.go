package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// composePeer is docker-compose 1.29 (Debian's) against a dockerd of its
// own, for figures from the same run as ours.
type composePeer struct {
	b    testing.TB
	dir  string
	env  []string
	stop func()
}

func newComposePeer(b testing.TB, stackFile string) *composePeer {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	for _, tool := range []string{"dockerd", "docker", "docker-compose"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed (apt-get install docker.io docker-compose)", tool)
		}
	}
	state, err := os.MkdirTemp("", "dc")
	if err != nil {
		b.Fatal(err)
	}
	sock := filepath.Join(state, "sock")
	daemon := exec.Command("dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root", filepath.Join(state, "d"), "--exec-root", filepath.Join(state, "e"),
		"--pidfile", filepath.Join(state, "pid"), "-H", "unix://"+sock)
	if err := daemon.Start(); err != nil {
		b.Fatal(err)
	}
	p := &composePeer{b: b, dir: b.TempDir(), env: append(os.Environ(), "DOCKER_HOST=unix://"+sock, "COMPOSE_PROJECT_NAME=peer", "COMPOSE_HTTP_TIMEOUT=600")}
	p.stop = func() {
		p.run("docker-compose", "down", "-t", "0")
		daemon.Process.Signal(os.Interrupt)
		daemon.Wait()
		os.RemoveAll(state)
	}
	b.Cleanup(p.stop)
	deadline := time.Now().Add(60 * time.Second)
	for p.run("docker", "info") != nil {
		if time.Now().After(deadline) {
			b.Skip("dockerd did not come up")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := p.run("docker", "import", busyboxTarball(b), "busybox:latest"); err != nil {
		b.Fatalf("docker import: %v", err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "docker-compose.yml"), []byte(strings.ReplaceAll(stackFile, "name: NAME\n", "version: \"3.8\"\n")), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

func (p *composePeer) run(args ...string) error {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Env = p.dir, p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (p *composePeer) timed(args ...string) time.Duration {
	start := time.Now()
	if err := p.run(args...); err != nil {
		p.b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkSideBySide measures stack and docker-compose 1.29 in the same
// run: up -d with nothing changed, ps, and 50 replicas up and down.
func BenchmarkSideBySide(b *testing.B) {
	peer := newComposePeer(b, lcPair)
	e := newLcEnv(b, lcPair)
	ours := func(args ...string) time.Duration {
		start := time.Now()
		e.must(args...)
		return time.Since(start)
	}
	e.must("up", "-d")
	peer.timed("docker-compose", "up", "-d")
	var r [8]time.Duration
	for b.Loop() {
		r[0] += ours("up", "-d")
		r[1] += peer.timed("docker-compose", "up", "-d")
		r[2] += ours("ps")
		r[3] += peer.timed("docker-compose", "ps")
	}
	n := float64(b.N)
	e.must("down", "-t", "0")
	peer.timed("docker-compose", "down", "-t", "0")
	r[4] = ours("up", "-d", "--scale", "web=50", "--no-deps", "web")
	r[5] = peer.timed("docker-compose", "up", "-d", "--scale", "web=50", "--no-deps", "web")
	r[6] = ours("down", "-t", "0")
	r[7] = peer.timed("docker-compose", "down", "-t", "0")
	b.ReportMetric(r[0].Seconds()*1000/n, "stack-noop-up-ms")
	b.ReportMetric(r[1].Seconds()*1000/n, "compose-noop-up-ms")
	b.ReportMetric(r[2].Seconds()*1000/n, "stack-ps-ms")
	b.ReportMetric(r[3].Seconds()*1000/n, "compose-ps-ms")
	b.Logf("50 replicas: up stack %.2fs, docker-compose 1.29 %.2fs; down stack %.2fs, docker-compose 1.29 %.2fs",
		r[4].Seconds(), r[5].Seconds(), r[6].Seconds(), r[7].Seconds())
	b.Log(composeFigures)
}
