package registry

import (
	"github.com/google/go-containerregistry/pkg/name"

	"stack/runtime/image"
)

// parse normalizes ref the Docker way and returns it in both forms: the
// canonical string the store keys images by and the client's reference,
// marked insecure when hosts allow plain HTTP for its registry.
func parse(op, ref string, hosts *Hosts) (string, name.Reference, error) {
	canonical, err := image.Normalize(ref)
	if err != nil {
		return "", nil, &Error{Op: op, Ref: ref, Kind: ErrInvalidReference, Detail: "want [registry/]repository[:tag|@digest]", Err: err}
	}
	var opts []name.Option
	parsed, err := name.ParseReference(canonical)
	if err == nil && hosts.Insecure(parsed.Context().RegistryStr()) {
		opts = append(opts, name.Insecure)
		parsed, err = name.ParseReference(canonical, opts...)
	}
	if err != nil {
		return "", nil, &Error{Op: op, Ref: ref, Kind: ErrInvalidReference, Detail: "want [registry/]repository[:tag|@digest]", Err: err}
	}
	return canonical, parsed, nil
}

func newTarget(op, canonical string, ref name.Reference) target {
	repository, _ := image.Familiar(canonical)
	return target{
		op:       op,
		ref:      image.FamiliarString(canonical),
		registry: ref.Context().RegistryStr(),
		repo:     repository,
		id:       ref.Identifier(),
	}
}
