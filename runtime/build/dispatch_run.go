package build

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/runtime/build/dockerfile"
)

// runArgs is the command RUN executes. A lone heredoc is the script
// itself; heredocs inside a longer command go to the shell whole, which
// reads them as its own here-documents.
func runArgs(st *stageState, ins *dockerfile.Instruction) []string {
	if ins.IsJSON {
		return ins.JSON
	}
	script := ins.Args
	if len(ins.Heredocs) == 1 && strings.TrimSpace(script) == ins.Heredocs[0].Token {
		script = ins.Heredocs[0].Content
	} else if len(ins.Heredocs) > 0 {
		var b strings.Builder
		b.WriteString(script)
		for _, h := range ins.Heredocs {
			b.WriteString("\n" + h.Content + h.Name)
		}
		script = b.String()
	}
	return append(append([]string(nil), st.shell()...), script)
}

func (r *run) runStep(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	if len(ins.Flags) > 0 {
		return nil, fmt.Errorf("RUN %s: no RUN flags are supported", ins.Flags[0])
	}
	args := runArgs(st, ins)
	buildArgs := st.args.runEnv(st.cfg.Config.Env)
	saved := args
	if len(buildArgs) > 0 {
		saved = append(append([]string{"|" + strconv.Itoa(len(buildArgs))}, buildArgs...), args...)
	}
	env := append(append([]string(nil), st.cfg.Config.Env...), buildArgs...)
	for name, value := range r.o.BuildArgs {
		if proxyArgs[name] && !hasEnv(env, name) {
			env = append(env, name+"="+value)
		}
	}
	return &change{
		createdBy: strings.Join(saved, " "),
		layer: func(ctx context.Context) (v1.Layer, error) {
			return r.execute(ctx, st, RunStep{Args: args, Env: env, User: st.cfg.Config.User,
				WorkDir: st.cfg.Config.WorkingDir, Network: r.network(), Volumes: volumes(st.cfg.Config.Volumes)})
		},
	}, nil
}

func volumes(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func (r *run) network() string {
	if r.o.Network == "" || r.o.Network == "default" {
		return "host"
	}
	return r.o.Network
}

// execute runs the step in a container and reports a failure with the
// command, its exit code and the last lines it printed.
func (r *run) execute(ctx context.Context, st *stageState, step RunStep) (v1.Layer, error) {
	if r.b.Runner == nil {
		return nil, ErrNoRunner
	}
	if st.scratch && len(st.cfg.RootFS.DiffIDs) == 0 {
		return nil, errScratchRun
	}
	id := make([]byte, 6)
	rand.Read(id)
	name := hex.EncodeToString(id)
	fmt.Fprintf(r.out, " ---> Running in %s\n", name)
	tail := &tailWriter{max: 10}
	out := &lockedWriter{w: io.MultiWriter(r.out, tail)}
	step.Stdout, step.Stderr, step.ID = out, out, name
	base, err := r.image(ctx, st)
	if err != nil {
		return nil, err
	}
	layer, code, err := r.b.Runner.Run(ctx, base, step)
	fmt.Fprintf(r.out, "Removing intermediate container %s\n", name)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, &RunError{Command: step.Args, ExitCode: code, Output: tail.lines()}
	}
	return layer, nil
}

// lockedWriter serializes a container's stdout and stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// tailWriter keeps the last lines written to it.
type tailWriter struct {
	max     int
	partial []byte
	done    []string
}

func (t *tailWriter) Write(p []byte) (int, error) {
	data := append(t.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		t.done = append(t.done, string(data[:i]))
		if len(t.done) > t.max {
			t.done = t.done[1:]
		}
		data = data[i+1:]
	}
	t.partial = append([]byte(nil), data...)
	return len(p), nil
}

func (t *tailWriter) lines() []string {
	out := append([]string(nil), t.done...)
	if len(t.partial) > 0 {
		out = append(out, string(t.partial))
	}
	if len(out) > t.max {
		out = out[len(out)-t.max:]
	}
	return out
}
