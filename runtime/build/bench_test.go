package build

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// demoBase is the Debian root filesystem of the Flask+Redis demo, built by
// examples/base-images/debian-rootfs.sh; tests and benchmarks that need it
// skip when it is absent.
const demoBase = "/var/cache/stack-test/demo-base.tar"

func needDemoBase(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(demoBase); err != nil {
		tb.Skipf("%s is absent (make it with examples/base-images/debian-rootfs.sh %s python3-flask,python3-redis,redis-server)", demoBase, demoBase)
	}
}

// BenchmarkBuildDemoWebCached builds examples/flask-redis once, then
// measures fully cached rebuilds: what "build web, all cached" costs
// without the process start.
func BenchmarkBuildDemoWebCached(b *testing.B) {
	e := newTestEnv(b)
	needDemoBase(b)
	importTar(b, e.store, demoBase, "demo-base:bookworm")
	dir, _ := filepath.Abs("../../examples/flask-redis")
	o := Options{ContextDir: dir, Tags: []string{"web"}}
	if _, err := e.b.Build(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := e.b.Build(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		if res.Cached != res.Steps-1 {
			b.Fatalf("%d of %d steps cached, want all but FROM", res.Cached, res.Steps)
		}
	}
}
