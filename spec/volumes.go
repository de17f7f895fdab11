package spec

import (
	"fmt"
	"path"
	"reflect"
	"strings"
)

// decodeVolume decodes one volumes entry of a service, short syntax
// SOURCE:TARGET[:MODE] or long syntax, into the long form with an absolute
// bind source.
func (d *decoder) decodeVolume(n *node, p string) (ServiceVolume, bool) {
	var v ServiceVolume
	switch n.kind {
	case mapNode:
		d.decodeStruct(n, p, reflect.ValueOf(&v).Elem())
		if v.Type == "" {
			d.errs.at(n, p, "missing \"type\": expected bind, volume, tmpfs or image")
			return v, false
		}
	case scalarNode:
		var err error
		if v, err = parseVolumeSpec(n.value); err != nil {
			d.errs.at(n, p, "invalid volume %q: %v", n.value, err)
			return v, false
		}
	default:
		d.typeError(n, p, "a volume (\"SOURCE:TARGET[:MODE]\") or a mapping with type and target")
		return v, false
	}
	if err := checkVolume(&v); err != nil {
		d.errs.at(n, p, "%v", err)
		return v, false
	}
	if v.Type == VolumeTypeBind {
		v.Source = absPath(n.base, v.Source)
		if v.Bind == nil {
			v.Bind = &BindOptions{}
		}
		if v.Bind.CreateHostPath == nil {
			yes := true
			v.Bind.CreateHostPath = &yes
		}
	}
	return v, true
}

func checkVolume(v *ServiceVolume) error {
	switch v.Type {
	case VolumeTypeBind:
		if v.Source == "" {
			return fmt.Errorf("bind mount needs a source")
		}
	case VolumeTypeVolume, VolumeTypeTmpfs, VolumeTypeImage, VolumeTypeNpipe, VolumeTypeCluster:
	default:
		return fmt.Errorf("unknown volume type %q: expected bind, volume, tmpfs or image", v.Type)
	}
	if v.Target == "" {
		return fmt.Errorf("missing target: expected the path inside the container")
	}
	if !path.IsAbs(v.Target) {
		return fmt.Errorf("target %q is not an absolute path", v.Target)
	}
	return nil
}

// parseVolumeSpec parses the short volume syntax.
func parseVolumeSpec(spec string) (ServiceVolume, error) {
	parts := strings.Split(spec, ":")
	for _, part := range parts {
		if part == "" {
			return ServiceVolume{}, fmt.Errorf("empty section between colons")
		}
	}
	var v ServiceVolume
	switch len(parts) {
	case 1:
		return ServiceVolume{Type: VolumeTypeVolume, Target: parts[0]}, nil
	case 2, 3:
		v.Source, v.Target = parts[0], parts[1]
	default:
		return v, fmt.Errorf("too many colons: expected SOURCE:TARGET[:MODE]")
	}
	v.Type = VolumeTypeVolume
	if isPathLike(v.Source) {
		v.Type = VolumeTypeBind
		v.Bind = &BindOptions{}
	}
	if len(parts) == 3 {
		if err := applyVolumeMode(&v, parts[2]); err != nil {
			return v, err
		}
	}
	return v, nil
}

func isPathLike(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~")
}

func applyVolumeMode(v *ServiceVolume, mode string) error {
	for _, opt := range strings.Split(mode, ",") {
		switch opt {
		case "ro":
			v.ReadOnly = true
		case "rw":
		case "z", "Z":
			if v.Bind == nil {
				return fmt.Errorf("option %q applies to bind mounts only", opt)
			}
			v.Bind.SELinux = opt
		case "shared", "rshared", "slave", "rslave", "private", "rprivate":
			if v.Bind == nil {
				return fmt.Errorf("option %q applies to bind mounts only", opt)
			}
			v.Bind.Propagation = opt
		case "nocopy":
			if v.Type != VolumeTypeVolume {
				return fmt.Errorf("option nocopy applies to volumes only")
			}
			v.Volume = &VolumeOptions{NoCopy: true}
		case "consistent", "cached", "delegated":
			v.Consistency = opt
		default:
			return fmt.Errorf("unknown option %q: expected ro, rw, z, Z, nocopy or a propagation", opt)
		}
	}
	return nil
}
