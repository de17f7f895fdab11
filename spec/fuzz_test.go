package spec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader as a stack file: it must
// return a project or an error, never panic or hang. The corpus's Compose
// files are the seeds.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("services:\n  a:\n    image: x\n    ports: ['8080:80']\n"))
	f.Add([]byte("x-a: &a {image: x}\nservices:\n  a:\n    <<: *a\n    extends: b\n  b: {image: y, depends_on: [a]}\n"))
	if dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "corpus")); err == nil {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				if data, err := os.ReadFile(path); err == nil {
					f.Add(data)
				}
			}
			return nil
		})
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(context.Background(), Options{
			Files:      []string{"-"},
			Stdin:      strings.NewReader(string(data)),
			WorkingDir: dir,
			Environ:    map[string]string{"SET": "value"},
		})
		if err == nil && p == nil {
			t.Fatal("no project and no error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}
