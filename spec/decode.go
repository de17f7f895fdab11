package spec

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// decoder fills the model from a tree. The model's yaml tags are the
// schema: a key without a field is an unknown key, a node of the wrong kind
// is a type error. Every problem is recorded and decoding goes on, so that
// one run reports all of them.
type decoder struct {
	errs *errorList
}

type structInfo struct {
	fields map[string]int
	hooks  map[string]fieldHook
	names  []string
	ext    int // index of the Extensions field, -1 without
}

var structInfos sync.Map // reflect.Type → *structInfo

var extensionsType = reflect.TypeOf(Extensions(nil))

func infoOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{fields: map[string]int{}, hooks: map[string]fieldHook{}, ext: -1}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type == extensionsType {
			info.ext = i
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		info.fields[name] = i
		info.names = append(info.names, name)
		if hook := fieldHooks[t.Name()+"."+name]; hook != nil {
			info.hooks[name] = hook
		}
	}
	structInfos.Store(t, info)
	return info
}

// fieldHook decodes one field whose syntax the generic rules do not cover.
type fieldHook func(d *decoder, n *node, path string, v reflect.Value)

var fieldHooks map[string]fieldHook

func init() {
	fieldHooks = map[string]fieldHook{
		"Service.dns":             stringOrList,
		"Service.dns_search":      stringOrList,
		"Service.dns_opt":         stringOrList,
		"Service.tmpfs":           stringOrList,
		"Service.label_file":      decodePaths,
		"Service.extra_hosts":     decodeExtraHosts,
		"BuildConfig.extra_hosts": decodeExtraHosts,
		"BuildConfig.cache_from":  stringOrList,
		"BuildConfig.ssh":         decodeSSH,
		"Healthcheck.test":        decodeHealthTest,
	}
}

func (d *decoder) typeError(n *node, path, want string) {
	d.errs.at(n, path, "expected %s, got %s", want, describe(n))
}

func describe(n *node) string {
	switch n.kind {
	case nullNode:
		return "null"
	case mapNode:
		return "a mapping"
	case seqNode:
		return "a list"
	}
	switch n.tag {
	case "!!int", "!!float":
		return "the number " + n.value
	case "!!bool":
		return "the boolean " + n.value
	}
	return strconv.Quote(n.value)
}

func (d *decoder) decode(n *node, path string, v reflect.Value) {
	if v.CanAddr() && d.custom(n, path, v.Addr().Interface()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.kind == nullNode {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, path, v.Elem())
	case reflect.Struct:
		d.decodeStruct(n, path, v)
	case reflect.String:
		if s, ok := d.scalarValue(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		d.decodeBool(n, path, v)
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint32, reflect.Uint64:
		d.decodeInt(n, path, v)
	case reflect.Float64, reflect.Float32:
		if s, ok := d.scalarValue(n, path, "a number"); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				d.errs.at(n, path, "expected a number, got %s", describe(n))
				return
			}
			v.SetFloat(f)
		}
	case reflect.Slice:
		d.decodeSlice(n, path, v)
	case reflect.Map:
		d.decodeMap(n, path, v)
	case reflect.Interface:
		if n.kind != nullNode {
			v.Set(reflect.ValueOf(generic(n)))
		}
	default:
		d.errs.at(n, path, "cannot decode into %s", v.Type())
	}
}

// scalarValue returns a scalar's text; null is the empty string.
func (d *decoder) scalarValue(n *node, path, want string) (string, bool) {
	switch n.kind {
	case scalarNode:
		return n.value, true
	case nullNode:
		return "", false
	}
	d.typeError(n, path, want)
	return "", false
}

func (d *decoder) decodeBool(n *node, path string, v reflect.Value) {
	s, ok := d.scalarValue(n, path, "a boolean")
	if !ok {
		return
	}
	b, ok := parseBool(s)
	if !ok {
		d.typeError(n, path, "a boolean (true or false)")
		return
	}
	v.SetBool(b)
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "y", "1":
		return true, true
	case "false", "no", "off", "n", "0":
		return false, true
	}
	return false, false
}

func (d *decoder) decodeInt(n *node, path string, v reflect.Value) {
	s, ok := d.scalarValue(n, path, "an integer")
	if !ok {
		return
	}
	s = strings.TrimSpace(s)
	switch v.Kind() {
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			d.typeError(n, path, "a non-negative integer")
			return
		}
		v.SetUint(u)
	default:
		i, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			d.typeError(n, path, "an integer")
			return
		}
		v.SetInt(i)
	}
}

func (d *decoder) decodeStruct(n *node, path string, v reflect.Value) {
	if n.kind == nullNode {
		return
	}
	if n.kind != mapNode {
		d.typeError(n, path, "a mapping")
		return
	}
	t := v.Type()
	info := infoOf(t)
	for i, k := range n.keys {
		key, val := k.value, n.items[i]
		sub := joinPath(path, key)
		if strings.HasPrefix(key, "x-") {
			// Extensions are allowed in every mapping; those that have
			// no place to be kept are dropped, as they mean nothing here.
			if info.ext < 0 {
				continue
			}
			ext := v.Field(info.ext)
			if ext.IsNil() {
				ext.Set(reflect.ValueOf(Extensions{}))
			}
			ext.SetMapIndex(reflect.ValueOf(key), reflect.ValueOf(genericOrNil(val)))
			continue
		}
		idx, ok := info.fields[key]
		if !ok {
			d.unknownKey(k, sub, key, info.names)
			continue
		}
		if hook := info.hooks[key]; hook != nil {
			hook(d, val, sub, v.Field(idx))
			continue
		}
		d.decode(val, sub, v.Field(idx))
	}
}

func (d *decoder) unknownKey(k *node, path, key string, names []string) {
	if s := suggest(key, names); s != "" {
		d.errs.at(k, path, "unknown key %q, did you mean %q?", key, s)
		return
	}
	d.errs.at(k, path, "unknown key %q", key)
}

func (d *decoder) decodeSlice(n *node, path string, v reflect.Value) {
	if n.kind == nullNode {
		return
	}
	if n.kind != seqNode {
		d.typeError(n, path, "a list")
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.items), len(n.items))
	for i, item := range n.items {
		d.decode(item, indexPath(path, i), out.Index(i))
	}
	v.Set(out)
}

// decodeMap accepts a mapping, and for maps of strings also the list form
// ["KEY=value", "KEY"] of environment, labels, args and sysctls.
func (d *decoder) decodeMap(n *node, path string, v reflect.Value) {
	if n.kind == nullNode {
		return
	}
	elem := v.Type().Elem()
	stringish := elem.Kind() == reflect.String || elem.Kind() == reflect.Pointer && elem.Elem().Kind() == reflect.String
	if n.kind == seqNode && stringish {
		d.decodeKeyValueList(n, path, v)
		return
	}
	if n.kind != mapNode {
		if stringish {
			d.typeError(n, path, "a mapping or a list of KEY=value")
		} else {
			d.typeError(n, path, "a mapping")
		}
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(n.keys)))
	}
	for i, k := range n.keys {
		val := reflect.New(elem).Elem()
		if stringish && n.items[i].kind != nullNode && n.items[i].kind != scalarNode {
			d.typeError(n.items[i], joinPath(path, k.value), "a string, a number or a boolean")
			continue
		}
		d.decode(n.items[i], joinPath(path, k.value), val)
		v.SetMapIndex(reflect.ValueOf(k.value), val)
	}
}

func (d *decoder) decodeKeyValueList(n *node, path string, v reflect.Value) {
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(n.items)))
	}
	elem := v.Type().Elem()
	for i, item := range n.items {
		sub := indexPath(path, i)
		if item.kind != scalarNode {
			d.typeError(item, sub, "a KEY=value string")
			continue
		}
		key, value, found := strings.Cut(item.value, "=")
		if key == "" {
			d.errs.at(item, sub, "expected KEY=value, got %q", item.value)
			continue
		}
		val := reflect.New(elem).Elem()
		switch {
		case elem.Kind() == reflect.String:
			val.SetString(value)
		case found:
			val.Set(reflect.ValueOf(&value))
		}
		v.SetMapIndex(reflect.ValueOf(key), val)
	}
}

// generic converts a tree into plain Go values for fields kept as is.
func generic(n *node) any {
	switch n.kind {
	case scalarNode:
		switch n.tag {
		case "!!int":
			if i, err := strconv.ParseInt(n.value, 0, 64); err == nil {
				return i
			}
		case "!!float":
			if f, err := strconv.ParseFloat(n.value, 64); err == nil {
				return f
			}
		case "!!bool":
			if b, ok := parseBool(n.value); ok {
				return b
			}
		}
		return n.value
	case mapNode:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k.value] = generic(n.items[i])
		}
		return m
	case seqNode:
		l := make([]any, len(n.items))
		for i, item := range n.items {
			l[i] = generic(item)
		}
		return l
	}
	return nil
}

func genericOrNil(n *node) any {
	if n == nil {
		return nil
	}
	return generic(n)
}
