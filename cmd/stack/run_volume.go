package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"stack/spec"
)

// runVolume reads `run -v` as Compose does: TARGET alone is an anonymous
// volume; SOURCE:TARGET[:OPTIONS] binds SOURCE when it is a path
// (absolute, ./ or ../ relative to the project directory, ~ for home) and
// otherwise mounts the project volume of that name. OPTIONS are
// comma-separated: ro, rw, nocopy, z, Z, a propagation, a consistency.
func runVolume(project *spec.Project, flag string) (spec.ServiceVolume, error) {
	v, err := parseRunVolume(project, flag)
	if err != nil {
		return v, fmt.Errorf("-v %q: %w", flag, err)
	}
	return v, nil
}

func parseRunVolume(project *spec.Project, flag string) (spec.ServiceVolume, error) {
	parts := strings.Split(flag, ":")
	for _, part := range parts {
		if part == "" {
			return spec.ServiceVolume{}, fmt.Errorf("empty section between colons: expected [SOURCE:]TARGET[:OPTIONS]")
		}
	}
	var v spec.ServiceVolume
	switch len(parts) {
	case 1:
		v = spec.ServiceVolume{Type: spec.VolumeTypeVolume, Target: parts[0]}
	case 2, 3:
		v = spec.ServiceVolume{Type: spec.VolumeTypeVolume, Source: parts[0], Target: parts[1]}
	default:
		return v, fmt.Errorf("too many colons: expected [SOURCE:]TARGET[:OPTIONS]")
	}
	if !path.IsAbs(v.Target) {
		return v, fmt.Errorf("target %q: expected an absolute path inside the container", v.Target)
	}
	v.Target = path.Clean(v.Target)
	if s := v.Source; strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") || s == "~" || strings.HasPrefix(s, "~/") {
		yes := true
		v.Type, v.Bind = spec.VolumeTypeBind, &spec.BindOptions{CreateHostPath: &yes}
		v.Source = hostPath(project.WorkingDir, s)
	} else if s != "" && project.Volumes[s] == nil {
		return v, fmt.Errorf("volume %q is not declared in the stack file's volumes", s)
	}
	if len(parts) == 3 {
		if err := runVolumeOptions(&v, parts[2]); err != nil {
			return v, err
		}
	}
	return v, nil
}

func runVolumeOptions(v *spec.ServiceVolume, options string) error {
	for _, opt := range strings.Split(options, ",") {
		switch opt {
		case "ro":
			v.ReadOnly = true
		case "rw":
			v.ReadOnly = false
		case "nocopy":
			if v.Type != spec.VolumeTypeVolume {
				return fmt.Errorf("option nocopy: applies to volumes only, not to bind mounts")
			}
			v.Volume = &spec.VolumeOptions{NoCopy: true}
		case "z", "Z":
			if v.Bind == nil {
				return fmt.Errorf("option %s: applies to bind mounts only", opt)
			}
			v.Bind.SELinux = opt
		case "shared", "rshared", "slave", "rslave", "private", "rprivate":
			if v.Bind == nil {
				return fmt.Errorf("option %s: applies to bind mounts only", opt)
			}
			v.Bind.Propagation = opt
		case "consistent", "cached", "delegated":
			v.Consistency = opt
		default:
			return fmt.Errorf("unknown option %q: expected ro, rw, nocopy, z, Z or a propagation", opt)
		}
	}
	return nil
}

// hostPath resolves a bind source: ~ is the home directory, a relative
// path is taken from the project directory.
func hostPath(projectDir, source string) string {
	if source == "~" || strings.HasPrefix(source, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			source = filepath.Join(home, source[1:])
		}
	}
	if filepath.IsAbs(source) {
		return filepath.Clean(source)
	}
	return filepath.Join(projectDir, source)
}
