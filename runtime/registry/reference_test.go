package registry

import (
	"errors"
	"testing"
)

func TestParseNormalizesLikeDocker(t *testing.T) {
	for _, tc := range []struct {
		ref, canonical, registry, repository, id string
	}{
		{"redis", "docker.io/library/redis:latest", "index.docker.io", "library/redis", "latest"},
		{"redis:7", "docker.io/library/redis:7", "index.docker.io", "library/redis", "7"},
		{"bitnami/redis:7", "docker.io/bitnami/redis:7", "index.docker.io", "bitnami/redis", "7"},
		{"localhost:5000/image_name", "localhost:5000/image_name:latest", "localhost:5000", "image_name", "latest"},
		{"ghcr.io/org/app@sha256:" + hex64, "ghcr.io/org/app@sha256:" + hex64, "ghcr.io", "org/app", "sha256:" + hex64},
	} {
		canonical, parsed, err := parse("pull", tc.ref, nil)
		if err != nil {
			t.Errorf("parse(%q): %v", tc.ref, err)
			continue
		}
		repo := parsed.Context()
		if canonical != tc.canonical || repo.RegistryStr() != tc.registry || repo.RepositoryStr() != tc.repository || parsed.Identifier() != tc.id {
			t.Errorf("parse(%q) = %q (%s, %s, %s), want %q (%s, %s, %s)", tc.ref, canonical, repo.RegistryStr(), repo.RepositoryStr(), parsed.Identifier(), tc.canonical, tc.registry, tc.repository, tc.id)
		}
	}
	for _, bad := range []string{"", "UPPER/case", "app:bad tag", "app@sha256:short"} {
		if _, _, err := parse("pull", bad, nil); !errors.Is(err, ErrInvalidReference) {
			t.Errorf("parse(%q) = %v, want ErrInvalidReference", bad, err)
		}
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
