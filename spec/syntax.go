package spec

import (
	"reflect"
	"strings"
)

// custom decodes the types that have a short syntax. It reports whether it
// handled v.
func (d *decoder) custom(n *node, path string, v any) bool {
	switch v := v.(type) {
	case *ShellCommand:
		d.decodeCommand(n, path, v)
	case *Duration:
		if s, ok := d.scalarValue(n, path, "a duration"); ok {
			dur, err := ParseDuration(s)
			if err != nil {
				d.errs.at(n, path, "%v", err)
			}
			*v = dur
		}
	case *ByteSize:
		if s, ok := d.scalarValue(n, path, "a byte size"); ok {
			size, err := ParseByteSize(s)
			if err != nil {
				d.errs.at(n, path, "%v", err)
			}
			*v = size
		}
	case *Ulimit:
		d.decodeUlimit(n, path, v)
	default:
		return d.customList(n, path, v)
	}
	return true
}

// customList decodes the collections that have a short syntax.
func (d *decoder) customList(n *node, path string, v any) bool {
	switch v := v.(type) {
	case *[]ServicePort:
		d.decodeList(n, path, func(item *node, sub string) {
			*v = append(*v, d.decodePort(item, sub)...)
		})
	case *[]ServiceVolume:
		d.decodeList(n, path, func(item *node, sub string) {
			if vol, ok := d.decodeVolume(item, sub); ok {
				*v = append(*v, vol)
			}
		})
	case *[]ServiceFileRef:
		d.decodeList(n, path, func(item *node, sub string) {
			ref := ServiceFileRef{}
			if item.kind == scalarNode {
				ref.Source = item.value
			} else {
				d.decodeStruct(item, sub, reflect.ValueOf(&ref).Elem())
			}
			*v = append(*v, ref)
		})
	case *[]EnvFile:
		d.decodeEnvFiles(n, path, v)
	case *[]DeviceMapping:
		d.decodeList(n, path, func(item *node, sub string) {
			*v = append(*v, d.decodeDevice(item, sub))
		})
	case *map[string]*ServiceNetwork:
		d.decodeNamedMap(n, path, reflect.ValueOf(v).Elem(), nil)
	case *map[string]DependsOn:
		d.decodeNamedMap(n, path, reflect.ValueOf(v).Elem(), DependsOn{Condition: ConditionStarted, Required: true})
	default:
		return d.customResource(n, path, v)
	}
	return true
}

// customResource decodes the mappings whose paths are made absolute.
func (d *decoder) customResource(n *node, path string, v any) bool {
	switch v := v.(type) {
	case *BuildConfig:
		if n.kind == scalarNode {
			v.Context = n.value
		} else {
			d.decodeStruct(n, path, reflect.ValueOf(v).Elem())
		}
		normalizeBuild(v, baseOf(n, "context"))
	case *Secret:
		d.decodeStruct(n, path, reflect.ValueOf(v).Elem())
		v.File = absPath(baseOf(n, "file"), v.File)
	case *Config:
		d.decodeStruct(n, path, reflect.ValueOf(v).Elem())
		v.File = absPath(baseOf(n, "file"), v.File)
	default:
		return false
	}
	return true
}

// baseOf is the directory a path under key of mapping n resolves
// against: the key's own, since after a merge or an extends the key may
// come from another file than the mapping.
func baseOf(n *node, key string) string {
	if v := n.get(key); v != nil {
		return v.base
	}
	return n.base
}

// decodeList calls each for every item of a list node.
func (d *decoder) decodeList(n *node, path string, each func(item *node, sub string)) {
	if n.kind == nullNode {
		return
	}
	if n.kind != seqNode {
		d.typeError(n, path, "a list")
		return
	}
	for i, item := range n.items {
		sub := indexPath(path, i)
		each(item, sub)
	}
}

// decodeNamedMap decodes the "list of names or mapping" syntax of
// service networks and depends_on. zero is the value of a name given in
// list form, and the starting value of every mapping entry.
func (d *decoder) decodeNamedMap(n *node, path string, v reflect.Value, zero any) {
	if n.kind == nullNode {
		return
	}
	if n.kind != seqNode && n.kind != mapNode {
		d.typeError(n, path, "a list of names or a mapping")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	elem := v.Type().Elem()
	start := func() reflect.Value {
		val := reflect.New(elem).Elem()
		if zero != nil {
			val.Set(reflect.ValueOf(zero))
		}
		return val
	}
	if n.kind == seqNode {
		for i, item := range n.items {
			sub := indexPath(path, i)
			if item.kind != scalarNode {
				d.typeError(item, sub, "a name")
				continue
			}
			v.SetMapIndex(reflect.ValueOf(item.value), start())
		}
		return
	}
	for i, k := range n.keys {
		val := start()
		d.decode(n.items[i], joinPath(path, k.value), val)
		v.SetMapIndex(reflect.ValueOf(k.value), val)
	}
}

func (d *decoder) decodeCommand(n *node, path string, v *ShellCommand) {
	switch n.kind {
	case nullNode:
	case scalarNode:
		words, err := shellSplit(n.value)
		if err != nil {
			d.errs.at(n, path, "%v", err)
			return
		}
		*v = words
	case seqNode:
		out := make(ShellCommand, 0, len(n.items))
		for i, item := range n.items {
			s, ok := d.scalarValue(item, indexPath(path, i), "a string")
			if ok || item.kind == nullNode {
				out = append(out, s)
			}
		}
		*v = out
	default:
		d.typeError(n, path, "a string or a list of strings")
	}
}

func (d *decoder) decodeUlimit(n *node, path string, v *Ulimit) {
	if n.kind == scalarNode {
		var single int64
		d.decodeInt(n, path, reflect.ValueOf(&single).Elem())
		*v = Ulimit{Single: single, Soft: single, Hard: single}
		return
	}
	if n.kind != mapNode {
		d.typeError(n, path, "a number or a mapping with soft and hard")
		return
	}
	d.decodeStruct(n, path, reflect.ValueOf(v).Elem())
	for _, key := range []string{"soft", "hard"} {
		if n.get(key) == nil {
			d.errs.at(n, path, "missing %q: expected both soft and hard", key)
		}
	}
	if v.Soft > v.Hard {
		d.errs.at(n, path, "soft limit %d is greater than hard limit %d", v.Soft, v.Hard)
	}
}

func (d *decoder) decodeEnvFiles(n *node, path string, v *[]EnvFile) {
	add := func(item *node, sub string) {
		f := EnvFile{Required: true}
		switch item.kind {
		case scalarNode:
			f.Path = item.value
		case mapNode:
			d.decodeStruct(item, sub, reflect.ValueOf(&f).Elem())
			if item.get("path") == nil {
				d.errs.at(item, sub, "missing \"path\"")
			}
		default:
			d.typeError(item, sub, "a path or a mapping with path and required")
			return
		}
		f.Path = absPath(item.base, f.Path)
		*v = append(*v, f)
	}
	if n.kind == scalarNode {
		add(n, path)
		return
	}
	d.decodeList(n, path, add)
}

func (d *decoder) decodeDevice(n *node, path string) DeviceMapping {
	var dev DeviceMapping
	if n.kind == mapNode {
		d.decodeStruct(n, path, reflect.ValueOf(&dev).Elem())
		return dev
	}
	s, ok := d.scalarValue(n, path, "a device (HOST[:CONTAINER[:PERMISSIONS]])")
	if !ok {
		return dev
	}
	parts := strings.Split(s, ":")
	dev.Source = parts[0]
	dev.Target = parts[0]
	if len(parts) > 1 {
		dev.Target = parts[1]
	}
	if len(parts) > 2 {
		dev.Permissions = parts[2]
	}
	if len(parts) > 3 || dev.Source == "" {
		d.errs.at(n, path, "invalid device %q: expected HOST[:CONTAINER[:PERMISSIONS]]", s)
	}
	return dev
}

func stringOrList(d *decoder, n *node, path string, v reflect.Value) {
	if n.kind == scalarNode {
		v.Set(reflect.ValueOf([]string{n.value}))
		return
	}
	d.decode(n, path, v)
}

// decodePaths decodes a path or a list of paths, made absolute.
func decodePaths(d *decoder, n *node, path string, v reflect.Value) {
	stringOrList(d, n, path, v)
	paths, _ := v.Interface().([]string)
	for i, p := range paths {
		paths[i] = absPath(n.base, p)
	}
}

func decodeExtraHosts(d *decoder, n *node, path string, v reflect.Value) {
	var hosts []string
	switch n.kind {
	case nullNode:
		return
	case mapNode:
		for i, k := range n.keys {
			val := n.items[i]
			if val.kind == seqNode {
				for _, ip := range val.items {
					hosts = append(hosts, k.value+"="+ip.value)
				}
				continue
			}
			hosts = append(hosts, k.value+"="+val.value)
		}
	case seqNode:
		for i, item := range n.items {
			s, ok := d.scalarValue(item, indexPath(path, i), "HOST=IP")
			if !ok {
				continue
			}
			if !strings.Contains(s, "=") {
				host, ip, found := strings.Cut(s, ":")
				if !found {
					d.errs.at(item, indexPath(path, i), "invalid extra host %q: expected HOST=IP or HOST:IP", s)
					continue
				}
				s = host + "=" + ip
			}
			hosts = append(hosts, s)
		}
	default:
		d.typeError(n, path, "a list of HOST=IP or a mapping")
		return
	}
	v.Set(reflect.ValueOf(hosts))
}

func decodeSSH(d *decoder, n *node, path string, v reflect.Value) {
	if n.kind == mapNode {
		var out []string
		for i, k := range n.keys {
			out = append(out, k.value+"="+n.items[i].value)
		}
		v.Set(reflect.ValueOf(out))
		return
	}
	stringOrList(d, n, path, v)
}

func decodeHealthTest(d *decoder, n *node, path string, v reflect.Value) {
	if n.kind == scalarNode {
		v.Set(reflect.ValueOf([]string{"CMD-SHELL", n.value}))
		return
	}
	d.decode(n, path, v)
}

func normalizeBuild(b *BuildConfig, base string) {
	if b.Context == "" {
		b.Context = "."
	}
	if !isRemoteContext(b.Context) {
		b.Context = absPath(base, b.Context)
	}
	if b.Dockerfile == "" && b.DockerfileInline == "" {
		b.Dockerfile = "Dockerfile"
	}
	for name, ctx := range b.AdditionalContexts {
		if !isRemoteContext(ctx) && !strings.Contains(ctx, ":") {
			b.AdditionalContexts[name] = absPath(base, ctx)
		}
	}
}

func isRemoteContext(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "github.com/")
}
