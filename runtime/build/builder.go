package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/runtime/build/dockerfile"
)

// Builder executes Dockerfiles against an image store.
type Builder struct {
	Images   Images
	Runner   Runner       // nil: a RUN step fails with ErrNoRunner
	CacheDir string       // the cache index (root/build-cache); "" disables the cache
	TempDir  string       // scratch space for layers being written ("" is the system's)
	Client   *http.Client // for ADD of URLs; nil is http.DefaultClient
}

// Options are the inputs of one build.
type Options struct {
	ContextDir     string
	Dockerfile     string // "" is ContextDir/Dockerfile
	DockerfileData []byte // used instead of reading Dockerfile when not nil ("-f -")
	Tags           []string
	BuildArgs      map[string]string
	Target         string
	NoCache        bool
	Pull           bool
	Labels         map[string]string
	Network        string    // for RUN: "host" (the default) or "none"
	Output         io.Writer // the step-by-step log; nil discards it
	Timings        bool      // print each step's duration
}

// Result is a finished build.
type Result struct {
	ID     string // the image ID, "sha256:<hex>"
	Image  v1.Image
	Steps  int
	Cached int // steps answered from the cache
}

// Build runs the Dockerfile and stores the resulting image under the tags.
// When it fails, nothing is tagged.
func (b *Builder) Build(ctx context.Context, o Options) (*Result, error) {
	df, err := readDockerfile(o)
	if err != nil {
		return nil, err
	}
	bc, err := openContext(o.ContextDir)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		res, err := b.build(ctx, o, df, bc)
		var stale *staleCacheError
		if !errors.As(err, &stale) || attempt == 3 {
			return res, err
		}
		// An image the cache pointed at was pruned: forget the entry and
		// build again, which rebuilds from that step on.
		cacheIndex{dir: b.CacheDir}.forget(stale.key)
		if o.Output != nil {
			fmt.Fprintf(o.Output, "%v; building again\n", err)
		}
	}
}

func (b *Builder) build(ctx context.Context, o Options, df *dockerfile.File, bc *buildContext) (*Result, error) {
	p, err := newPlan(df, o.Target)
	if err != nil {
		return nil, err
	}
	if len(o.Labels) > 0 {
		p.target.body = append(p.target.body, labelInstruction(o.Labels))
	}
	tmp, err := os.MkdirTemp(b.TempDir, "build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	r := newRun(b, o, p, bc, tmp)
	if err := r.globalArgs(); err != nil {
		return nil, err
	}
	for _, s := range p.order {
		if err := r.stage(ctx, s); err != nil {
			return nil, err
		}
	}
	final := r.results[p.target.index]
	img, err := r.image(ctx, final)
	if err != nil {
		return nil, err
	}
	if err := b.Images.Put(ctx, img, o.Tags...); err != nil {
		return nil, fmt.Errorf("tagging %s: %w", strings.Join(o.Tags, ", "), err)
	}
	if final.unsaved {
		// The caller gets the stored image: the scratch files go now.
		if img, err = b.Images.Image(ctx, final.id); err != nil {
			return nil, err
		}
	}
	r.warnUnusedArgs()
	fmt.Fprintf(r.out, "Successfully built %s\n", shortID(final.id))
	for _, t := range o.Tags {
		fmt.Fprintf(r.out, "Successfully tagged %s\n", t)
	}
	return &Result{ID: final.id, Image: img, Steps: r.step, Cached: r.cached}, nil
}

func readDockerfile(o Options) (*dockerfile.File, error) {
	data := o.DockerfileData
	name := o.Dockerfile
	if data == nil {
		if name == "" {
			name = filepath.Join(o.ContextDir, "Dockerfile")
		}
		var err error
		if data, err = os.ReadFile(name); err != nil {
			return nil, err
		}
	}
	f, err := dockerfile.Parse(bytes.NewReader(data))
	var perr *dockerfile.Error
	if errors.As(err, &perr) {
		if name == "" {
			name = "Dockerfile"
		}
		return nil, fmt.Errorf("%s:%d: %s", name, perr.Line, perr.Msg)
	}
	return f, err
}

// labelInstruction is the LABEL step that --label adds at the end of the
// target stage, as Docker does.
func labelInstruction(labels map[string]string) *dockerfile.Instruction {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %q=%q", k, labels[k])
	}
	text := "LABEL" + b.String()
	return &dockerfile.Instruction{Command: "label", Args: strings.TrimSpace(b.String()), Original: text}
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// stepTimer prints a step's duration in the terminal view.
func (r *run) done(start time.Time, id string) {
	if r.o.Timings {
		fmt.Fprintf(r.out, " ---> %s %.2fs\n", shortID(id), time.Since(start).Seconds())
		return
	}
	fmt.Fprintf(r.out, " ---> %s\n", shortID(id))
}
