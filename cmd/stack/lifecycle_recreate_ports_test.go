package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

// TestLifecycleRecreatePublished recreates a container that publishes a
// host port: the replacement is created while the old one still holds the
// port, so creating must not claim it; starting, after the old is gone,
// does.
func TestLifecycleRecreatePublished(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	file := fmt.Sprintf(`name: NAME
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo $$GREETING; exec sleep 1000"]
    environment:
      GREETING: hello
    ports:
      - "127.0.0.1:%d:80"
`, port)
	e := newLcEnv(t, file)
	web := e.project + "-web-1"
	e.must("up", "-d")
	first := e.containers()
	e.write(strings.Replace(file, "GREETING: hello", "GREETING: bonjour", 1))
	e.must("up", "-d")
	second := e.containers()
	if second[web].ID == first[web].ID || second[web].State != "running" {
		t.Fatalf("recreate with a published port: %+v -> %+v", first[web], second[web])
	}
	if out := e.must("port", "web", "80"); !strings.Contains(out, fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("port web 80 after the recreate: %q", out)
	}
}
