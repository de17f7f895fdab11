package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The figures Docker Compose 2.40 reached on the reference machine
// (BENCHMARKS.md), printed beside ours.
const composeFigures = "Docker Compose 2.40: up -d with nothing changed 31 ms, ps 31 ms, 50 replicas up 9.36 s, down 3.44 s"

func benchEnv(b *testing.B) (*lcEnv, *globalOptions) {
	e := newLcEnv(b, lcPair)
	e.must("up", "-d")
	g := &globalOptions{
		Files: []string{filepath.Join(e.dir, "stack.yaml")}, Root: e.root, RunRoot: e.run, LogLevel: "info",
	}
	b.Log(composeFigures)
	return e, g
}

// BenchmarkUpNoop is `up -d` with nothing to do, in process: load the
// stack file, take the lock, observe, plan.
func BenchmarkUpNoop(b *testing.B) {
	_, g := benchEnv(b)
	o := &upOptions{global: g, detach: true, out: io.Discard, progress: io.Discard}
	o.plan.timeout = -1
	for b.Loop() {
		if err := runUp(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPs is `ps`, in process.
func BenchmarkPs(b *testing.B) {
	_, g := benchEnv(b)
	o := &psOptions{global: g, format: "table", out: io.Discard}
	for b.Loop() {
		if err := runPs(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpNoopBinary and BenchmarkPsBinary run the built binary, as a
// user does: process start included.
func BenchmarkUpNoopBinary(b *testing.B) {
	e, _ := benchEnv(b)
	for b.Loop() {
		e.must("up", "-d")
	}
}

func BenchmarkPsBinary(b *testing.B) {
	e, _ := benchEnv(b)
	for b.Loop() {
		e.must("ps")
	}
}

// BenchmarkStartBinary is what every command pays before doing anything
// (the Go runtime and package initialisation, the command tree): `stack
// version`, beside /bin/true, the cost of any exec on this machine. Each
// container starts the binary twice more (monitor, init).
func BenchmarkStartBinary(b *testing.B) {
	bin := lifecycleBinary(b)
	for _, cmd := range [][]string{{"/bin/true"}, {bin, "version"}} {
		b.Run(filepath.Base(cmd[0]), func(b *testing.B) {
			for b.Loop() {
				if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
					b.Fatalf("%v: %v\n%s", cmd, err, out)
				}
			}
		})
	}
}

// BenchmarkScale50 brings 50 replicas up and takes them down again, through
// the binary, and reports each half.
func BenchmarkScale50(b *testing.B) {
	e := newLcEnv(b, `name: NAME
services:
  web:
    image: busybox
    command: ["sleep", "100000"]
`)
	b.Log(composeFigures)
	var up, down time.Duration
	for b.Loop() {
		start := time.Now()
		e.must("up", "-d", "--scale", "web=50")
		up += time.Since(start)
		start = time.Now()
		e.must("down", "-t", "0")
		down += time.Since(start)
	}
	b.ReportMetric(up.Seconds()/float64(b.N), "up-s/op")
	b.ReportMetric(down.Seconds()/float64(b.N), "down-s/op")
}
