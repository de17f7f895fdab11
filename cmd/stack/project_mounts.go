package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"stack/planner"
	"stack/runtime/container"
	"stack/spec"
)

// labelAnonymousVolumes records, on a container, the anonymous volumes it
// mounts as "target=volume" pairs, so that its replacement takes them over.
const labelAnonymousVolumes = "io.stack.anonymous-volumes"

// mountPlan is what a replica mounts, and the named volumes that were
// created empty and may take the image's content at their target.
type mountPlan struct {
	mounts    []container.Mount
	fresh     map[string]string // target → mountpoint of an empty volume to fill from the image
	anonymous map[string]string // target → anonymous volume name
}

// serviceMounts resolves a replica's volumes, tmpfs, secrets and configs to
// bind and tmpfs mounts. inherited are the anonymous volumes of the container
// it replaces, by target.
func serviceMounts(project *spec.Project, s *spec.Service, volumes *volumeStore, secretsDir string, inherited map[string]string) (*mountPlan, error) {
	mp := &mountPlan{fresh: map[string]string{}, anonymous: map[string]string{}}
	for i, v := range s.Volumes {
		where := fmt.Sprintf("service %q: volumes[%d]", s.Name, i)
		if !path.IsAbs(v.Target) {
			return nil, fmt.Errorf("%s: target %q: expected an absolute path", where, v.Target)
		}
		var err error
		switch v.Type {
		case spec.VolumeTypeBind:
			err = mp.bind(v)
		case spec.VolumeTypeVolume:
			err = mp.volume(project, v, volumes, inherited)
		case spec.VolumeTypeTmpfs:
			m := container.Mount{Type: "tmpfs", Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Tmpfs != nil {
				m.Options = tmpfsOptions(v.Tmpfs)
			}
			mp.mounts = append(mp.mounts, m)
		default:
			err = fmt.Errorf("type %q is not supported: expected bind, volume or tmpfs", v.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	for _, t := range s.Tmpfs {
		target, opts, _ := strings.Cut(t, ":")
		m := container.Mount{Type: "tmpfs", Target: target}
		if opts != "" {
			m.Options = strings.Split(opts, ",")
		}
		mp.mounts = append(mp.mounts, m)
	}
	files, err := fileMounts(project, s, secretsDir)
	if err != nil {
		return nil, err
	}
	mp.mounts = append(mp.mounts, files...)
	return mp, nil
}

func tmpfsOptions(t *spec.TmpfsOptions) []string {
	var opts []string
	if t.Size > 0 {
		opts = append(opts, "size="+strconv.FormatInt(int64(t.Size), 10))
	}
	if t.Mode != 0 {
		opts = append(opts, "mode="+strconv.FormatUint(uint64(t.Mode), 8))
	}
	return opts
}

// bind mounts a host path; a missing source directory is created unless
// create_host_path is false, as in Compose.
func (mp *mountPlan) bind(v spec.ServiceVolume) error {
	if _, err := os.Stat(v.Source); errors.Is(err, fs.ErrNotExist) {
		if v.Bind != nil && v.Bind.CreateHostPath != nil && !*v.Bind.CreateHostPath {
			return fmt.Errorf("bind source %q does not exist and create_host_path is false", v.Source)
		}
		if err := os.MkdirAll(v.Source, 0o755); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	mp.mounts = append(mp.mounts, container.Mount{Type: "bind", Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly})
	return nil
}

func (mp *mountPlan) volume(project *spec.Project, v spec.ServiceVolume, volumes *volumeStore, inherited map[string]string) error {
	var vol *volume
	var err error
	switch {
	case v.Source != "":
		vol, err = volumes.get(planner.VolumeName(project, v.Source))
	case inherited[v.Target] != "":
		vol, err = volumes.get(inherited[v.Target])
	default:
		vol, err = volumes.create("", "", map[string]string{planner.LabelProject: project.Name}, nil)
	}
	if err != nil {
		return err
	}
	if v.Source == "" {
		mp.anonymous[v.Target] = vol.Name
	}
	source := vol.Mountpoint
	if v.Volume != nil && v.Volume.Subpath != "" {
		source = filepath.Join(source, filepath.Clean("/"+v.Volume.Subpath))
	}
	if (v.Volume == nil || !v.Volume.NoCopy) && emptyDir(source) {
		mp.fresh[v.Target] = source
	}
	mp.mounts = append(mp.mounts, container.Mount{Type: "bind", Source: source, Target: v.Target, ReadOnly: v.ReadOnly})
	return nil
}

func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}

// fileMounts binds secrets under /run/secrets and configs at /<name>, read
// only. Values given inline or from the environment are written under
// secretsDir first.
func fileMounts(project *spec.Project, s *spec.Service, secretsDir string) ([]container.Mount, error) {
	var out []container.Mount
	refs := []struct {
		kind, base string
		refs       []spec.ServiceFileRef
		defs       func(string) *spec.Secret
	}{
		{"secrets", "/run/secrets", s.Secrets, func(n string) *spec.Secret { return project.Secrets[n] }},
		{"configs", "/", s.Configs, func(n string) *spec.Secret { return (*spec.Secret)(project.Configs[n]) }},
	}
	for _, group := range refs {
		for _, ref := range group.refs {
			def := group.defs(ref.Source)
			if def == nil {
				return nil, fmt.Errorf("service %q: %s: %q is not declared at the top level", s.Name, group.kind, ref.Source)
			}
			source, err := fileSource(project, group.kind, ref.Source, def, secretsDir)
			if err != nil {
				return nil, fmt.Errorf("service %q: %s: %q: %w", s.Name, group.kind, ref.Source, err)
			}
			target := ref.Target
			if target == "" {
				target = ref.Source
			}
			if !path.IsAbs(target) {
				target = path.Join(group.base, target)
			}
			out = append(out, container.Mount{Type: "bind", Source: source, Target: target, ReadOnly: true})
		}
	}
	return out, nil
}

func fileSource(project *spec.Project, kind, name string, def *spec.Secret, dir string) (string, error) {
	if def.File != "" {
		return def.File, nil
	}
	var value string
	switch {
	case def.Environment != "":
		v, ok := project.Environment[def.Environment]
		if !ok {
			v, ok = os.LookupEnv(def.Environment)
		}
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", def.Environment)
		}
		value = v
	case def.External:
		return "", fmt.Errorf("external %s are not supported", kind)
	default:
		value = def.Content
	}
	file := filepath.Join(dir, kind, name)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(value), 0o400); err != nil {
		return "", err
	}
	return file, os.Rename(tmp, file)
}

// anonymousLabel formats the anonymous volumes for labelAnonymousVolumes.
func anonymousLabel(anonymous map[string]string) string {
	var pairs []string
	for _, target := range sortedNames(anonymous) {
		pairs = append(pairs, target+"="+anonymous[target])
	}
	return strings.Join(pairs, ",")
}

// parseAnonymousLabel is the inverse of anonymousLabel.
func parseAnonymousLabel(s string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		if target, name, ok := strings.Cut(pair, "="); ok {
			out[target] = name
		}
	}
	return out
}
