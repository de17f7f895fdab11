package image

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

const dockerHub = "docker.io"

// Normalize returns the canonical form of an image reference, the way Docker
// spells it: "redis" becomes "docker.io/library/redis:latest",
// "localhost:5000/app" becomes "localhost:5000/app:latest" and a digest
// reference keeps its digest ("app@sha256:…" → "docker.io/library/app@sha256:…").
func Normalize(ref string) (string, error) {
	parsed, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		if _, err2 := name.ParseReference(ref); err2 == nil {
			// Only the strict form failed: an implicit tag is fine.
			parsed, err = name.ParseReference(ref)
		}
	}
	if err != nil {
		return "", fmt.Errorf("invalid reference %q: %w", ref, err)
	}
	return canonical(parsed), nil
}

func canonical(ref name.Reference) string {
	repo := repositoryName(ref.Context())
	switch r := ref.(type) {
	case name.Digest:
		return repo + "@" + r.DigestStr()
	case name.Tag:
		return repo + ":" + r.TagStr()
	}
	return ref.Name()
}

func repositoryName(repo name.Repository) string {
	registry := repo.RegistryStr()
	if registry == name.DefaultRegistry {
		registry = dockerHub
	}
	return registry + "/" + repo.RepositoryStr()
}

// Familiar splits a canonical reference into the repository and tag Docker
// shows in listings: "docker.io/library/redis:7" → ("redis", "7"). A digest
// reference has the tag "<none>".
func Familiar(ref string) (repository, tag string) {
	repository, tag = ref, "<none>"
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		repository = ref[:i]
	} else if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repository, tag = ref[:i], ref[i+1:]
	}
	if rest, ok := strings.CutPrefix(repository, dockerHub+"/"); ok {
		repository = rest
		if short, ok := strings.CutPrefix(rest, "library/"); ok && !strings.Contains(short, "/") {
			repository = short
		}
	}
	return repository, tag
}

// FamiliarString is the short form of a canonical reference: "redis:7".
func FamiliarString(ref string) string {
	repository, tag := Familiar(ref)
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return repository + ref[i:]
	}
	return repository + ":" + tag
}

// ParseReference parses a reference for registry use; it accepts every form
// Normalize accepts.
func ParseReference(ref string) (name.Reference, error) {
	canonicalRef, err := Normalize(ref)
	if err != nil {
		return nil, err
	}
	return name.ParseReference(canonicalRef)
}

// tagOf returns the tag of a canonical reference, or "" for a digest reference.
func tagOf(ref string) string {
	if strings.Contains(ref, "@") {
		return ""
	}
	_, tag := Familiar(ref)
	return tag
}
