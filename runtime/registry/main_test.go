package registry

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"stack/runtime/image"
)

// helperEnv makes the test binary act as a pulling process that a test can
// kill half way: STACK_REGISTRY_HELPER=pull ROOT REF.
const helperEnv = "STACK_REGISTRY_HELPER"

var busyboxTar string // built once for the whole package

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "pull" {
		os.Exit(helperPull())
	}
	dir, err := os.MkdirTemp("", "registry-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	busyboxTar = filepath.Join(dir, "busybox.tar")
	script, _ := filepath.Abs("../../examples/base-images/busybox-rootfs.sh")
	if out, err := exec.Command(script, busyboxTar).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "busybox rootfs unavailable, image tests will skip: %v\n%s", err, out)
		busyboxTar = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func helperPull() int {
	store, err := image.Open(os.Args[len(os.Args)-2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	_, err = Pull(context.Background(), store, os.Args[len(os.Args)-1], Options{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// newStore is an empty image store that lives as long as the test.
func newStore(t *testing.T) *image.Store {
	t.Helper()
	needRoot(t)
	store, err := image.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// busybox is a one-layer busybox image with extra layers on top, one per
// entry of extra (file name → content), so that tests can make distinct
// images that share the base layer.
func busybox(t *testing.T, extra ...map[string]string) v1.Image {
	t.Helper()
	if busyboxTar == "" {
		t.Skip("busybox rootfs unavailable (apt-get install busybox-static)")
	}
	base, err := tarball.LayerFromFile(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	layers := []v1.Layer{base}
	for _, files := range extra {
		layers = append(layers, fileLayer(t, files))
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", hostPlatform().Architecture
	cfg.Created = v1.Time{Time: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	cfg.Config.Cmd = []string{"/bin/sh"}
	cfg.Config.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
