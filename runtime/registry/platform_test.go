package registry

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"stack/runtime/registry/registrytest"
)

// TestPullResolvesPlatform pulls a multi-platform index: by default the
// image of this host's platform, another one when asked, and a clear error
// for a platform the index lacks.
func TestPullResolvesPlatform(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.Start(t)
	native := hostPlatform()
	foreign := v1.Platform{OS: "linux", Architecture: "arm64"}
	if native.Architecture == "arm64" {
		foreign.Architecture = "amd64"
	}
	images := map[string]v1.Image{}
	index := v1.ImageIndex(empty.Index)
	for _, p := range []v1.Platform{native, foreign} {
		img := busybox(t, map[string]string{"etc/arch": p.Architecture})
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cfg = cfg.DeepCopy()
		cfg.Architecture = p.Architecture
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			t.Fatal(err)
		}
		images[p.Architecture] = img
		index = mutate.AppendManifests(index, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref := srv.Addr + "/multi:v1"
	tag, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, index); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		platform *v1.Platform
		want     string // architecture whose image comes back
	}{
		{nil, native.Architecture},
		{&foreign, foreign.Architecture},
	} {
		options := anonymous
		options.Platform = tc.platform
		got, err := Pull(ctx, newStore(t), ref, options)
		if err != nil {
			t.Fatalf("pull for %v: %v", tc.platform, err)
		}
		want, _ := images[tc.want].ConfigName()
		if got.ID != want || got.Config.Architecture != tc.want {
			t.Errorf("pull for %v gave %s (%s), want the %s image %s", tc.platform, got.ID, got.Config.Architecture, tc.want, want)
		}
	}
	options := anonymous
	options.Platform = &v1.Platform{OS: "linux", Architecture: "s390x"}
	if _, err := Pull(ctx, newStore(t), ref, options); !errors.Is(err, ErrNoPlatform) || !strings.Contains(err.Error(), "no image for linux/s390x") {
		t.Errorf("pull for linux/s390x: %v, want ErrNoPlatform", err)
	}
}
