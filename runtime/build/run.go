package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"stack/runtime/build/dockerfile"
)

// run is the state of one build.
type run struct {
	b        *Builder
	o        Options
	plan     *plan
	ctxDir   *buildContext
	tmp      string
	out      io.Writer
	cache    cacheIndex
	client   *http.Client
	lex      *shell.Lex
	globals  *argScope
	consumed map[string]bool   // build args some ARG declared
	hitKeys  map[string]string // image ID → the cache key that answered it
	results  map[int]*stageState
	step     int
	cached   int
	total    int
}

func newRun(b *Builder, o Options, p *plan, bc *buildContext, tmp string) *run {
	r := &run{b: b, o: o, plan: p, ctxDir: bc, tmp: tmp, out: o.Output,
		cache: cacheIndex{dir: b.CacheDir}, client: b.Client, lex: shell.NewLex(p.escape),
		consumed: map[string]bool{}, hitKeys: map[string]string{}, results: map[int]*stageState{}, total: p.steps()}
	if r.out == nil {
		r.out = io.Discard
	}
	if r.client == nil {
		r.client = http.DefaultClient
	}
	return r
}

// globalArgs evaluates the ARGs before the first FROM; they are visible to
// FROM lines only, and to stages that declare them again.
func (r *run) globalArgs() error {
	r.globals = newArgScope()
	for name, value := range platformArgs() {
		r.globals.declare(name, &value)
	}
	for _, ins := range r.plan.globalArgs {
		if err := r.declareArgs(r.globals, nil, ins, nil); err != nil {
			return lineError(ins, err)
		}
	}
	return nil
}

// declareArgs handles ARG in scope; inherit supplies the default of an ARG
// declared without one (the global value), env is the stage's ENV.
func (r *run) declareArgs(scope, inherit *argScope, ins *dockerfile.Instruction, env []string) error {
	words := dockerfile.Words(ins.Args, r.plan.escape)
	if len(words) == 0 {
		return fmt.Errorf("ARG requires at least one argument")
	}
	for _, w := range words {
		name, def, hasDefault := strings.Cut(w, "=")
		if name == "" {
			return fmt.Errorf("ARG %q: expected NAME or NAME=default", w)
		}
		var value *string
		if given, ok := r.o.BuildArgs[name]; ok {
			value = &given
			r.consumed[name] = true
		} else if hasDefault {
			expanded, err := r.expand(def, scope, env)
			if err != nil {
				return err
			}
			value = &expanded
		} else if inherit != nil {
			if v, ok := inherit.values[name]; ok {
				value = &v
			}
		}
		scope.declare(name, value)
	}
	return nil
}

func (r *run) expand(word string, scope *argScope, env []string) (string, error) {
	res, _, err := r.lex.ProcessWord(word, scope.env(env))
	return res, err
}

func (r *run) warnUnusedArgs() {
	var unused []string
	for name := range r.o.BuildArgs {
		if !r.consumed[name] && !proxyArgs[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		fmt.Fprintf(r.out, "[Warning] One or more build-args [%s] were not consumed\n", strings.Join(unused, " "))
	}
}

// header prints the "Step n/N" line of an instruction.
func (r *run) header(ins *dockerfile.Instruction) {
	r.step++
	fmt.Fprintf(r.out, "Step %d/%d : %s\n", r.step, r.total, ins.Original)
}

// change is what an instruction does to the image, worked out before the
// cache is asked; layer runs only on a cache miss.
type change struct {
	createdBy string // the history entry, and the heart of the cache key
	keyExtra  string // what else the result depends on
	config    func(cf *v1.ConfigFile)
	layer     func(ctx context.Context) (v1.Layer, error) // nil layer: no file changed
}

// commit answers a change from the cache or applies it.
func (r *run) commit(ctx context.Context, st *stageState, ch *change) error {
	key := stepKey(st.id, ch.createdBy, ch.keyExtra)
	if st.cacheValid && !r.o.NoCache {
		if id, cf, ok := r.cache.get(key); ok {
			fmt.Fprintln(r.out, " ---> Using cache")
			r.cached++
			r.hitKeys[id] = key
			st.img, st.id, st.cfg, st.unsaved = nil, id, cf, false
			return nil
		}
	}
	st.cacheValid = false
	img, err := r.apply(ctx, st, ch)
	if err != nil {
		return err
	}
	if err := r.b.Images.Put(ctx, img); err != nil {
		return err
	}
	name, err := img.ConfigName()
	if err != nil {
		return err
	}
	id := name.String()
	cf, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	if err := r.cache.put(key, id, cf); err != nil {
		return fmt.Errorf("build cache: %w", err)
	}
	if err := st.setImage(img, id); err != nil {
		return err
	}
	st.unsaved = true
	return nil
}

func (r *run) apply(ctx context.Context, st *stageState, ch *change) (v1.Image, error) {
	base, err := r.image(ctx, st)
	if err != nil {
		return nil, err
	}
	now := v1.Time{Time: time.Now().UTC()}
	cf := st.cfg.DeepCopy()
	cf.Created = now
	if ch.config != nil {
		ch.config(cf)
	}
	var layer v1.Layer
	if ch.layer != nil {
		if layer, err = ch.layer(ctx); err != nil {
			return nil, err
		}
	}
	hist := v1.History{Created: now, CreatedBy: ch.createdBy, EmptyLayer: layer == nil}
	if layer == nil {
		// Like Docker, a step that changed no file adds no layer.
		cf.History = append(cf.History, hist)
		return mutate.ConfigFile(base, cf)
	}
	withConfig, err := mutate.ConfigFile(base, cf)
	if err != nil {
		return nil, err
	}
	return mutate.Append(withConfig, mutate.Addendum{Layer: layer, History: hist})
}

// nopCreatedBy is how the classic builder records a metadata step.
func nopCreatedBy(st *stageState, text string) string {
	return strings.Join(st.shell(), " ") + " #(nop)  " + text
}

// fileCreatedBy is how it records WORKDIR, COPY and ADD.
func fileCreatedBy(st *stageState, text string) string {
	return strings.Join(st.shell(), " ") + " #(nop) " + text
}

var errScratchRun = errors.New("RUN on an empty (scratch) image: there is no shell to run")
