package registry

import (
	"context"
	"os"
	"strings"
	"testing"

	"stack/runtime/image"
	"stack/runtime/registry/registrytest"
)

// demoBaseEnv names the Debian root filesystem the benchmark moves; it
// defaults to the one the demo builds.
const demoBaseEnv = "STACK_BENCH_BASE"

// BenchmarkRegistryDemoBase pushes the demo's Debian base to a fresh
// loopback registry and pulls it into an empty store, with stack and with a
// private dockerd in the same run, so that the figures can be compared:
//
//	go test -run '^$' -bench RegistryDemoBase -benchtime 3x ./runtime/registry/
func BenchmarkRegistryDemoBase(b *testing.B) {
	path := os.Getenv(demoBaseEnv)
	if path == "" {
		path = "/var/cache/stack-test/demo-base.tar"
	}
	if _, err := os.Stat(path); err != nil {
		b.Skipf("no demo base at %s (set %s): %v", path, demoBaseEnv, err)
	}
	needRoot(b)
	ctx := context.Background()
	store, err := image.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	// Both tools import the root filesystem the same way and keep it plain
	// locally, so both compress it when they push.
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	_, err = store.Import(ctx, f, image.ImportOptions{Ref: "bench/demo:latest"})
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	local, err := store.V1("bench/demo:latest")
	if err != nil {
		b.Fatal(err)
	}
	docker := registrytest.StartDocker(b)
	docker.Run(b, "import", path, "bench/demo:latest")

	b.Run("push/stack", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			ref := registrytest.Start(b).Addr + "/demo:v1"
			if _, err := store.Put(ctx, local, ref); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := Push(ctx, store, ref, anonymous); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("push/docker", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			ref := registrytest.Start(b).Addr + "/demo:v1"
			docker.Run(b, "tag", "bench/demo:latest", ref)
			b.StartTimer()
			docker.Run(b, "push", ref)
		}
	})

	source := registrytest.Start(b)
	ref := source.Addr + "/demo:v1"
	if _, err := store.Put(ctx, local, ref); err != nil {
		b.Fatal(err)
	}
	if _, err := Push(ctx, store, ref, anonymous); err != nil {
		b.Fatal(err)
	}
	b.Run("pull/stack", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			fresh, err := image.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := Pull(ctx, fresh, ref, anonymous); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pull/docker", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			removeDockerImages(b, docker)
			b.StartTimer()
			docker.Run(b, "pull", ref)
		}
	})
}

// removeDockerImages empties the private dockerd's image store, so that a
// pull cannot reuse a layer.
func removeDockerImages(b *testing.B, docker *registrytest.Docker) {
	for _, id := range strings.Fields(docker.Run(b, "images", "-aq")) {
		docker.Run(b, "rmi", "-f", id)
	}
}
