package build

import (
	"archive/tar"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/runtime/build/dockerfile"
)

// viewOf returns the file tree of the stage's current image: its unpacked
// layers when the store keeps them, else an index read from the layers.
func (r *run) viewOf(st *stageState) (rootView, error) {
	img, err := r.image(context.Background(), st)
	if err != nil {
		return nil, err
	}
	if s, ok := r.b.Images.(Snapshotter); ok {
		lowers, err := s.Snapshots(st.cfg.RootFS.DiffIDs)
		if err == nil && len(lowers) > 0 {
			return &dirView{lowers: lowers}, nil
		}
	}
	if st.view == nil {
		st.view = newView(nil, r.tmp)
	}
	return st.view, st.view.update(img)
}

// workdir sets the working directory and, like the classic builder,
// creates it in a layer of its own (an empty one when it exists).
func (r *run) workdir(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	if strings.TrimSpace(ins.Args) == "" {
		return nil, fmt.Errorf("WORKDIR requires exactly one argument")
	}
	dir, err := r.expand(strings.TrimSpace(ins.Args), st.args, st.cfg.Config.Env)
	if err != nil {
		return nil, err
	}
	if !path.IsAbs(dir) {
		base := st.cfg.Config.WorkingDir
		if base == "" {
			base = "/"
		}
		dir = path.Join(base, dir)
	}
	dir = path.Clean(dir)
	return &change{
		createdBy: fileCreatedBy(st, "WORKDIR "+dir),
		config:    func(cf *v1.ConfigFile) { cf.Config.WorkingDir = dir },
		layer: func(ctx context.Context) (v1.Layer, error) {
			view, err := r.viewOf(st)
			if err != nil {
				return nil, err
			}
			w, err := newLayerWriter(r.tmp, view.isDir, 0, 0)
			if err != nil {
				return nil, err
			}
			if real := view.resolve(dir); real != "" && !view.isDir(real) {
				err = w.write(&tar.Header{Typeflag: tar.TypeDir, Name: real, Mode: 0o755, ModTime: w.now}, nil)
			}
			if err != nil {
				w.abort()
				return nil, err
			}
			return w.layer()
		},
	}, nil
}

// copyArgs splits COPY and ADD arguments into sources and destination.
func (r *run) copyArgs(st *stageState, ins *dockerfile.Instruction) ([]string, string, error) {
	words := ins.JSON
	if !ins.IsJSON {
		words = strings.Fields(ins.Args)
	}
	if len(words) < 2 {
		return nil, "", fmt.Errorf("%s requires at least two arguments: SOURCE... DEST", strings.ToUpper(ins.Command))
	}
	dest, err := r.expand(words[len(words)-1], st.args, st.cfg.Config.Env)
	if err != nil {
		return nil, "", err
	}
	return words[:len(words)-1], dest, nil
}

func (r *run) copy(ctx context.Context, st *stageState, ins *dockerfile.Instruction, flags flagSet) (*change, error) {
	cmd := strings.ToUpper(ins.Command)
	srcs, dest, err := r.copyArgs(st, ins)
	if err != nil {
		return nil, err
	}
	spec := &copySpec{dest: dest, destDir: strings.HasSuffix(dest, "/") || dest == "." || strings.HasSuffix(dest, "/.")}
	if !path.IsAbs(spec.dest) {
		spec.dest = path.Join("/", st.cfg.Config.WorkingDir, spec.dest)
	}
	spec.dest = path.Clean(spec.dest)
	if v, ok := flags["chmod"]; ok {
		m, err := strconv.ParseUint(v, 8, 32)
		if err != nil || m > 0o7777 {
			return nil, fmt.Errorf("--chmod=%s: expected an octal mode such as 644", v)
		}
		mode := fs.FileMode(m)
		spec.chmod = &mode
	}
	if v, ok := flags["chown"]; ok {
		if spec.chown, err = r.expand(v, st.args, st.cfg.Config.Env); err != nil {
			return nil, err
		}
	}
	extra := fmt.Sprintf("chown=%q chmod=%q\n", spec.chown, flags["chmod"])
	var summary string
	if from, ok := flags["from"]; ok {
		summary, err = r.fromSources(ctx, st, spec, srcs, from)
		extra += summary
	} else {
		err = r.localSources(ctx, st, spec, srcs, ins)
		summary = spec.summary()
		extra += spec.contentKey()
	}
	if err != nil {
		return nil, err
	}
	if err := spec.checkDest(); err != nil {
		return nil, err
	}
	return &change{
		createdBy: fileCreatedBy(st, fmt.Sprintf("%s %s in %s ", cmd, summary, dest)),
		keyExtra:  extra,
		layer:     func(ctx context.Context) (v1.Layer, error) { return r.copyLayer(ctx, st, spec) },
	}, nil
}

// localSources reads sources from the context, heredocs and URLs.
func (r *run) localSources(ctx context.Context, st *stageState, spec *copySpec, srcs []string, ins *dockerfile.Instruction) error {
	add := ins.Command == "add"
	heredocs := ins.Heredocs
	for _, raw := range srcs {
		if len(heredocs) > 0 && raw == heredocs[0].Token {
			h := heredocs[0]
			heredocs = heredocs[1:]
			content := h.Content
			if h.Expand {
				var err error
				if content, err = r.expand(content, st.args, st.cfg.Config.Env); err != nil {
					return err
				}
			}
			s, err := heredocSource(h, content)
			if err != nil {
				return err
			}
			spec.sources = append(spec.sources, s)
			continue
		}
		src, err := r.expand(raw, st.args, st.cfg.Config.Env)
		if err != nil {
			return err
		}
		if isURL(src) {
			if !add {
				return fmt.Errorf("COPY %s: a URL source needs ADD", src)
			}
			s, err := urlSource(ctx, r.client, src, r.tmp)
			if err != nil {
				return err
			}
			if s.name == "" && spec.destDir {
				return fmt.Errorf("ADD %s: cannot name a file after this URL: give a destination file name", src)
			}
			spec.sources = append(spec.sources, s)
			continue
		}
		matches, err := r.ctxDir.match(src)
		if err != nil {
			return err
		}
		for _, rel := range matches {
			s, err := contextSource(r.ctxDir, rel, add)
			if err != nil {
				return err
			}
			spec.sources = append(spec.sources, s)
		}
	}
	return nil
}

// fromSources reads COPY --from sources from a stage or an image. The
// cache key needs only the source image's ID, so the files are read when
// the step runs.
func (r *run) fromSources(ctx context.Context, st *stageState, spec *copySpec, srcs []string, from string) (string, error) {
	var img v1.Image
	if dep := r.plan.lookup(from, st.index); dep != nil {
		var err error
		if img, err = r.image(ctx, r.results[dep.index]); err != nil {
			return "", err
		}
	} else {
		var err error
		if img, err = r.baseImage(ctx, from); err != nil {
			return "", fmt.Errorf("--from=%s: %w", from, err)
		}
	}
	id, err := img.ConfigName()
	if err != nil {
		return "", err
	}
	var expanded []string
	for _, raw := range srcs {
		src, err := r.expand(raw, st.args, st.cfg.Config.Env)
		if err != nil {
			return "", err
		}
		expanded = append(expanded, src)
	}
	spec.load = func() error {
		view := newView(keepUnder(expanded), r.tmp)
		if err := view.update(img); err != nil {
			return fmt.Errorf("--from=%s: %w", from, err)
		}
		for _, src := range expanded {
			sources, err := imageSources(view, src)
			if err != nil {
				return fmt.Errorf("--from=%s: %w", from, err)
			}
			spec.sources = append(spec.sources, sources...)
		}
		return spec.checkDest()
	}
	return fmt.Sprintf("from:%s %s", id.Hex, strings.Join(expanded, " ")), nil
}

func (r *run) copyLayer(ctx context.Context, st *stageState, spec *copySpec) (v1.Layer, error) {
	if spec.load != nil {
		if err := spec.load(); err != nil {
			return nil, err
		}
	}
	view, err := r.viewOf(st)
	if err != nil {
		return nil, err
	}
	owner := identity{}
	if spec.chown != "" {
		if owner, err = parseChown(spec.chown, view.file("etc/passwd"), view.file("etc/group")); err != nil {
			return nil, err
		}
		for _, s := range spec.sources {
			for i := range s.entries {
				s.entries[i].keep = false
			}
		}
	}
	w, err := newLayerWriter(r.tmp, view.isDir, owner.uid, owner.gid)
	if err != nil {
		return nil, err
	}
	if err := spec.writeLayer(w, view, owner); err != nil {
		w.abort()
		return nil, err
	}
	return w.layer()
}

// keepUnder selects the files of a source image that COPY --from reads.
func keepUnder(srcs []string) func(string) bool {
	return func(name string) bool {
		for _, src := range srcs {
			p := strings.TrimPrefix(path.Clean("/"+src), "/")
			if hasWildcard(p) || p == "" || name == p || strings.HasPrefix(name, p+"/") {
				return true
			}
		}
		return false
	}
}
