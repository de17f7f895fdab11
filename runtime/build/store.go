package build

import (
	"context"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Images is the image store as the builder uses it.
type Images interface {
	// Image returns the image a reference ("busybox", "name:tag") or an
	// image ID ("sha256:<hex>") names.
	Image(ctx context.Context, ref string) (v1.Image, error)
	// Put stores img and points each reference at it; with no reference
	// the image is kept untagged (a cached build step).
	Put(ctx context.Context, img v1.Image, refs ...string) error
}

// Puller is implemented by stores that can fetch a missing base image, or
// fetch it again for --pull.
type Puller interface {
	Pull(ctx context.Context, ref string) (v1.Image, error)
}

// Runner runs a RUN step in a container on top of an image and returns the
// changes it made as a layer, nil when it changed no file. A non-zero exit
// is not an error: Run returns the code and no layer. Run removes everything it created (container,
// mounts, directories) before it returns, whatever happened.
type Runner interface {
	Run(ctx context.Context, base v1.Image, step RunStep) (layer v1.Layer, exitCode int, err error)
}

// RunStep is one RUN command.
type RunStep struct {
	ID      string   // a name for the step's container, also its host name
	Args    []string // argv, already wrapped in the stage's SHELL for the shell form
	Env     []string // the stage's environment plus the build arguments in scope
	User    string   // as in the image config: "name", "uid", "uid:gid"
	WorkDir string
	Network string   // "host" or "none"
	Volumes []string // the image's volumes: what RUN writes there is discarded, as with Docker
	Stdout  io.Writer
	Stderr  io.Writer
}
