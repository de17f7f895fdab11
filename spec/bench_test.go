package spec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// generatedStack writes a stack of n services using most of the syntax a
// real file uses: anchors and merge keys, interpolation, short and long
// ports and volumes, depends_on, healthchecks, resources.
func generatedStack(n int) string {
	var b strings.Builder
	b.WriteString("x-common: &common\n  restart: unless-stopped\n  logging:\n    driver: json-file\n    options: {max-size: 10m}\n")
	b.WriteString("services:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  svc%d:\n    <<: *common\n    image: registry.example/app${TAG:-}:%d\n", i, i)
		fmt.Fprintf(&b, "    command: [\"serve\", \"--id\", \"%d\"]\n", i)
		fmt.Fprintf(&b, "    environment:\n      ID: \"%d\"\n      HOST: ${HOST:-localhost}\n      MODE: production\n", i)
		fmt.Fprintf(&b, "    labels: [\"team=t%d\", \"tier=back\"]\n", i%7)
		fmt.Fprintf(&b, "    ports: [\"%d:80\", {target: 443, published: \"%d\", protocol: tcp}]\n", 10000+i, 20000+i)
		fmt.Fprintf(&b, "    volumes: [\"data%d:/data\", \"./conf/%d:/etc/app:ro\", {type: tmpfs, target: /tmp}]\n", i%10, i)
		b.WriteString("    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost\"]\n      interval: 10s\n      timeout: 2s\n      retries: 3\n")
		b.WriteString("    deploy:\n      resources:\n        limits: {cpus: \"0.5\", memory: 256m}\n")
		if i > 0 {
			fmt.Fprintf(&b, "    depends_on:\n      svc%d:\n        condition: service_healthy\n", i-1)
		}
		b.WriteString("    networks: [front, back]\n")
	}
	b.WriteString("networks:\n  front: {}\n  back: {internal: true}\nvolumes:\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "  data%d: {}\n", i)
	}
	return b.String()
}

func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(generatedStack(200)), 0o644); err != nil {
		b.Fatal(err)
	}
	options := Options{WorkingDir: dir, Environ: map[string]string{"TAG": ""}}
	if p, err := Load(context.Background(), options); err != nil || len(p.Services) != 200 {
		b.Fatalf("load: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := Load(context.Background(), options); err != nil {
			b.Fatal(err)
		}
	}
	// On a shared machine wall time mostly measures the neighbours; the
	// process's CPU time per load (GC included) is the steadier figure.
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkYAMLFloor parses the same file into a yaml.Node and nothing
// more: the floor any loader built on yaml.v3 pays, for comparing
// BenchmarkLoad with in the same run.
func BenchmarkYAMLFloor(b *testing.B) {
	data := []byte(generatedStack(200))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
