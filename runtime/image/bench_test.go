package image

import (
	"context"
	"os"
	"testing"
)

// demoBase is the Debian demo root filesystem (~220 MB) the benchmarks
// import; bench/image-import.sh measures the same against docker import.
const demoBase = "/var/cache/stack-test/demo-base.tar"

func demoBaseFile(b *testing.B) string {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	if _, err := os.Stat(demoBase); err != nil {
		b.Skipf("%s is absent (examples/base-images/debian-rootfs.sh %s python3-flask,python3-redis,redis-server)", demoBase, demoBase)
	}
	return demoBase
}

func importForBench(b *testing.B, s *Store, path string) {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := s.Import(context.Background(), f, ImportOptions{Ref: "bench"}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkImportDemoBase imports the demo base into an empty store.
func BenchmarkImportDemoBase(b *testing.B) {
	path := demoBaseFile(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root, err := os.MkdirTemp("", "stack-image-bench-")
		if err != nil {
			b.Fatal(err)
		}
		s, err := Open(root)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		importForBench(b, s, path)
		b.StopTimer()
		os.RemoveAll(root)
		b.StartTimer()
	}
}

// BenchmarkReimportDemoBase imports the demo base into a store that holds
// it already: one read of the input, nothing written but the new config.
func BenchmarkReimportDemoBase(b *testing.B) {
	path := demoBaseFile(b)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	root := b.TempDir()
	s, err := Open(root)
	if err != nil {
		b.Fatal(err)
	}
	importForBench(b, s, path)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		importForBench(b, s, path)
	}
}
