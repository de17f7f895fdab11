package image

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound means no image matches a reference or ID.
	ErrNotFound = errors.New("no such image")
	// ErrAmbiguous means a short ID matches more than one image.
	ErrAmbiguous = errors.New("ambiguous image ID")
	// ErrInUse means a container uses the image and removal was not forced.
	ErrInUse = errors.New("image is in use")
	// ErrUnsafePath means a layer entry would write outside its snapshot.
	ErrUnsafePath = errors.New("unsafe path in layer")
	// ErrDigestMismatch means content does not match the digest that names it.
	ErrDigestMismatch = errors.New("digest mismatch")
)

// notFound wraps ErrNotFound with the reference that was asked for.
func notFound(ref string) error {
	return fmt.Errorf("%w: %s", ErrNotFound, ref)
}
