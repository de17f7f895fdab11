package build

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"stack/runtime/build/dockerfile"
)

// defaultPath is the PATH a stage gets when its base image sets none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// stageState is a stage being built: the image so far and what the
// Dockerfile has declared that the image config does not hold.
type stageState struct {
	img        v1.Image
	id         string
	cfg        *v1.ConfigFile
	args       *argScope
	cmdSet     bool // a CMD in this stage survives a later ENTRYPOINT
	cacheValid bool // false from the stage's first cache miss on
	scratch    bool
	index      int     // the stage's position, for COPY --from
	unsaved    bool    // img reads layers from the build's scratch files
	view       *fsView // the image's files read from its layers, when the store has no snapshots
}

func (st *stageState) setImage(img v1.Image, id string) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	st.img, st.id, st.cfg, st.unsaved = img, id, cf.DeepCopy(), false
	return nil
}

// image returns the stage's current image, reading it from the store when
// the cache answered with its ID and config only.
func (r *run) image(ctx context.Context, st *stageState) (v1.Image, error) {
	if st.img != nil {
		return st.img, nil
	}
	img, err := r.b.Images.Image(ctx, st.id)
	if err != nil {
		return nil, &staleCacheError{key: r.hitKeys[st.id], err: err}
	}
	st.img = img
	return img, nil
}

func (st *stageState) shell() []string {
	if len(st.cfg.Config.Shell) > 0 {
		return st.cfg.Config.Shell
	}
	return []string{"/bin/sh", "-c"}
}

// stage builds one stage and records its result.
func (r *run) stage(ctx context.Context, s *stage) error {
	r.header(s.from)
	start := time.Now()
	st, err := r.from(ctx, s)
	if err != nil {
		return &StepError{Step: r.step, Line: s.from.Line, Instruction: s.from.Original, Err: err}
	}
	r.done(start, st.id)
	if triggers := st.cfg.Config.OnBuild; len(triggers) > 0 {
		st.cfg.Config.OnBuild = nil
		if err := r.triggers(ctx, st, triggers); err != nil {
			return &StepError{Step: r.step, Line: s.from.Line, Instruction: s.from.Original, Err: err}
		}
	}
	for _, ins := range s.body {
		r.header(ins)
		start := time.Now()
		if err := r.dispatch(ctx, st, ins); err != nil {
			return &StepError{Step: r.step, Line: ins.Line, Instruction: ins.Original, Err: err}
		}
		r.done(start, st.id)
	}
	r.results[s.index] = st
	return nil
}

// triggers runs the ONBUILD instructions of the base image right after
// FROM, as part of this stage.
func (r *run) triggers(ctx context.Context, st *stageState, triggers []string) error {
	plural := ""
	if len(triggers) > 1 {
		plural = "s"
	}
	fmt.Fprintf(r.out, "# Executing %d build trigger%s\n", len(triggers), plural)
	for _, t := range triggers {
		f, err := dockerfile.Parse(strings.NewReader(t))
		if err != nil || len(f.Instructions) != 1 {
			return fmt.Errorf("ONBUILD trigger %q: expected one instruction", t)
		}
		if err := r.dispatch(ctx, st, f.Instructions[0]); err != nil {
			return fmt.Errorf("ONBUILD trigger %q: %w", t, err)
		}
	}
	return nil
}

// from starts a stage from an image, an earlier stage or scratch.
func (r *run) from(ctx context.Context, s *stage) (*stageState, error) {
	name, err := r.expand(s.base, r.globals, nil)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("base name (%s) should not be blank", s.base)
	}
	if err := r.checkPlatform(s.flags["platform"]); err != nil {
		return nil, err
	}
	st := &stageState{args: newArgScope(), cacheValid: true, index: s.index}
	var img v1.Image
	switch dep := r.plan.lookup(name, s.index); {
	case dep != nil:
		img, err = r.image(ctx, r.results[dep.index])
	case strings.EqualFold(name, "scratch"):
		img, err = scratchImage()
		st.scratch = true
	default:
		img, err = r.baseImage(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	id, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	if err := st.setImage(img, id.String()); err != nil {
		return nil, err
	}
	if !hasEnv(st.cfg.Config.Env, "PATH") {
		st.cfg.Config.Env = append(st.cfg.Config.Env, defaultPath)
	}
	return st, nil
}

func (r *run) checkPlatform(flag string) error {
	if flag == "" {
		return nil
	}
	p, err := r.expand(flag, r.globals, nil)
	if err != nil {
		return err
	}
	host := "linux/" + runtime.GOARCH
	if p != host && !strings.HasPrefix(p, host+"/") {
		return fmt.Errorf("--platform=%s: only the host platform %s can be built", p, host)
	}
	return nil
}

// baseImage finds a FROM image in the store, pulling it when it is missing
// or --pull asks for it and the store can pull.
func (r *run) baseImage(ctx context.Context, ref string) (v1.Image, error) {
	puller, canPull := r.b.Images.(Puller)
	if r.o.Pull && canPull {
		return puller.Pull(ctx, ref)
	}
	img, err := r.b.Images.Image(ctx, ref)
	if err != nil && canPull {
		if pulled, perr := puller.Pull(ctx, ref); perr == nil {
			return pulled, nil
		} else {
			err = errors.Join(err, perr)
		}
	}
	return img, err
}

func scratchImage() (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		RootFS:       v1.RootFS{Type: "layers"},
	})
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}
