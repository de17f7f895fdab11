package registry

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"stack/runtime/image"
	"stack/runtime/registry/registrytest"
)

// anonymous keeps tests away from the host's Docker logins.
var anonymous = Options{Keychain: authn.NewMultiKeychain()}

func withProgress(o Options, w *bytes.Buffer) Options {
	o.Progress = w
	return o
}

// TestPushPullRoundTrip is the tutorial's path: tag an image for a
// loopback registry, push it, lose it locally, pull it back and find the
// same image with its files.
func TestPushPullRoundTrip(t *testing.T) {
	srv := registrytest.Start(t)
	ctx := context.Background()
	for _, host := range []string{srv.Addr, "localhost:" + strings.Split(srv.Addr, ":")[1]} {
		t.Run(host, func(t *testing.T) {
			ref := host + "/app:v1"
			src := newStore(t)
			built, err := src.Put(ctx, busybox(t, map[string]string{"etc/app.conf": "version=1\n"}), ref)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			pushed, err := Push(ctx, src, ref, withProgress(anonymous, &out))
			if err != nil {
				t.Fatalf("push: %v\n%s", err, srv.Log())
			}
			if pushed.Digest != built.ManifestDigest {
				t.Errorf("pushed digest %s, want the stored manifest %s", pushed.Digest, built.ManifestDigest)
			}
			if !strings.Contains(out.String(), "v1: digest: "+built.ManifestDigest.String()) {
				t.Errorf("push output lacks the digest line:\n%s", out.String())
			}

			dst := newStore(t)
			out.Reset()
			pulled, err := Pull(ctx, dst, ref, withProgress(anonymous, &out))
			if err != nil {
				t.Fatalf("pull: %v", err)
			}
			if pulled.ID != built.ID || pulled.ManifestDigest != built.ManifestDigest {
				t.Errorf("pulled image %s (manifest %s), want %s (manifest %s)", pulled.ID, pulled.ManifestDigest, built.ID, built.ManifestDigest)
			}
			for _, want := range []string{"Pull complete", "Digest: " + built.ManifestDigest.String(), "Status: Downloaded newer image for " + host + "/app:v1"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("pull output lacks %q:\n%s", want, out.String())
				}
			}
			checkFiles(t, dst, pulled, map[string]string{"etc/app.conf": "version=1\n", "etc/passwd": "root:x:0:0"})

			byDigest := host + "/app@" + built.ManifestDigest.String()
			if got, err := Pull(ctx, newStore(t), byDigest, anonymous); err != nil || got.ID != built.ID {
				t.Errorf("pull %s: %v, %v; want image %s", byDigest, got, err, built.ID)
			}

			out.Reset()
			if _, err := Pull(ctx, dst, ref, withProgress(anonymous, &out)); err != nil {
				t.Fatalf("second pull: %v", err)
			}
			if !strings.Contains(out.String(), "Image is up to date") {
				t.Errorf("second pull output lacks \"Image is up to date\":\n%s", out.String())
			}
		})
	}
}

// TestPushSkipsExistingLayers pushes twice, and then an image that shares
// its base layer with the first.
func TestPushSkipsExistingLayers(t *testing.T) {
	srv := registrytest.Start(t)
	ctx := context.Background()
	store := newStore(t)
	first, second, third := srv.Addr+"/app:1", srv.Addr+"/app:2", srv.Addr+"/other:3"
	for _, ref := range []string{first, second, third} {
		if _, err := store.Put(ctx, busybox(t, map[string]string{"file": ref}), ref); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ref                string
		uploaded, existing int
	}{
		{first, 2, 0},
		{first, 0, 2},
		{second, 1, 1}, // the busybox layer is already in the repository
		{third, 1, 1},  // and mounted from it into another one
	} {
		var out bytes.Buffer
		got, err := Push(ctx, store, tc.ref, withProgress(anonymous, &out))
		if err != nil {
			t.Fatalf("push %s: %v", tc.ref, err)
		}
		if got.Uploaded != tc.uploaded || got.Existing != tc.existing {
			t.Errorf("push %s: uploaded %d, existing %d; want %d, %d\n%s", tc.ref, got.Uploaded, got.Existing, tc.uploaded, tc.existing, out.String())
		}
		if n := strings.Count(out.String(), ": Layer already exists"); n != tc.existing {
			t.Errorf("push %s: %d \"Layer already exists\" lines, want %d:\n%s", tc.ref, n, tc.existing, out.String())
		}
	}

	// Pulling the second image next to the first fetches only its own layer.
	dst := newStore(t)
	if _, err := Pull(ctx, dst, first, anonymous); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := Pull(ctx, dst, second, withProgress(anonymous, &out)); err != nil {
		t.Fatal(err)
	}
	for status, want := range map[string]int{": Already exists": 1, ": Downloading": 1, ": Pull complete": 1} {
		if n := strings.Count(out.String(), status); n != want {
			t.Errorf("pull %s next to %s: %d %q lines, want %d:\n%s", second, first, n, status, want, out.String())
		}
	}
}

// checkFiles looks into the image's top snapshot... and below: each file
// must be found in one of the image's snapshots, the upper one winning.
func checkFiles(t *testing.T, store *image.Store, img *image.Image, want map[string]string) {
	t.Helper()
	for name, prefix := range want {
		found := false
		for i := len(img.ChainIDs) - 1; i >= 0 && !found; i-- {
			data, err := os.ReadFile(filepath.Join(store.SnapshotPath(img.ChainIDs[i]), name))
			if err != nil {
				continue
			}
			found = true
			if !strings.HasPrefix(string(data), prefix) {
				t.Errorf("%s = %q, want it to start with %q", name, data, prefix)
			}
		}
		if !found {
			t.Errorf("%s is in no snapshot of the pulled image", name)
		}
	}
}

// TestTutorialRegistryAddress uses the literal localhost:5000 of the
// tutorial when that port is free on this machine.
func TestTutorialRegistryAddress(t *testing.T) {
	registrytest.Start(t, registrytest.WithAddr("127.0.0.1:5000"))
	ctx := context.Background()
	src, dst := newStore(t), newStore(t)
	built, err := src.Put(ctx, busybox(t), "localhost:5000/image_name")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, src, "localhost:5000/image_name", anonymous); err != nil {
		t.Fatalf("push: %v", err)
	}
	got, err := Pull(ctx, dst, "localhost:5000/image_name:latest", anonymous)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	if got.ID != built.ID {
		t.Errorf("pulled %s, want %s", got.ID, built.ID)
	}
}

// TestPushCompressesPlainLayers pushes an imported image, whose layer the
// store keeps uncompressed: the registry gets a gzip layer, the image keeps
// its ID, and a second push finds the layer already there.
func TestPushCompressesPlainLayers(t *testing.T) {
	if busyboxTar == "" {
		t.Skip("busybox rootfs unavailable")
	}
	srv := registrytest.Start(t)
	ctx := context.Background()
	src := newStore(t)
	ref := srv.Addr + "/imported:v1"
	f, err := os.Open(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	local, err := src.Import(ctx, f, image.ImportOptions{Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	options := anonymous
	options.BlobsumDir = t.TempDir()
	other := registrytest.Start(t).Addr + "/imported:v1"
	if err := src.Tag(ref, other); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		ref                string
		uploaded, existing int
		compressed         bool
	}{
		{ref, 1, 0, true},
		{ref, 0, 1, false},  // the registry has the blob an earlier push made
		{other, 1, 0, true}, // another registry does not
	} {
		var out bytes.Buffer
		got, err := Push(ctx, src, step.ref, withProgress(options, &out))
		if err != nil {
			t.Fatalf("push %s: %v", step.ref, err)
		}
		if got.Uploaded != step.uploaded || got.Existing != step.existing {
			t.Errorf("push %s: uploaded %d, existing %d; want %d, %d", step.ref, got.Uploaded, got.Existing, step.uploaded, step.existing)
		}
		if c := strings.Contains(out.String(), ": Compressing"); c != step.compressed {
			t.Errorf("push %s: compressed %v, want %v:\n%s", step.ref, c, step.compressed, out.String())
		}
	}
	pulled, err := Pull(ctx, newStore(t), ref, anonymous)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	if pulled.ID != local.ID {
		t.Errorf("pulled image %s, want the local ID %s", pulled.ID, local.ID)
	}
	if mt := pulled.Layers[0].MediaType; mt != types.OCILayer && mt != types.DockerLayer {
		t.Errorf("pushed layer media type %s, want a gzip layer", mt)
	}
	if pulled.Layers[0].Size >= local.Layers[0].Size {
		t.Errorf("pushed layer is %d bytes, the plain one %d: want it compressed", pulled.Layers[0].Size, local.Layers[0].Size)
	}
}
