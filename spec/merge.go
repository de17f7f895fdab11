package spec

import (
	"strings"
)

// Merge rules of Compose, for a later file over an earlier one (and for a
// service over the one it extends): mappings merge key by key, scalars are
// replaced, the list forms of environment-like keys merge as mappings,
// volumes merge by target, secrets and configs by source, other lists
// append without duplicates, and command-like lists are replaced. The tags
// !reset (drop the earlier value) and !override (replace it whole) win
// over all of that.

// mappingLike are keys whose list form ("KEY=value", or names) merges as a
// mapping.
var mappingLike = map[string]bool{
	"services.*.environment":               true,
	"services.*.labels":                    true,
	"services.*.annotations":               true,
	"services.*.sysctls":                   true,
	"services.*.networks":                  true,
	"services.*.depends_on":                true,
	"services.*.build.args":                true,
	"services.*.build.labels":              true,
	"services.*.deploy.labels":             true,
	"services.*.logging.options":           true,
	"services.*.ulimits":                   true,
	"services.*.storage_opt":               true,
	"services.*.build.additional_contexts": true,
}

// replaced are lists that a later value replaces instead of extending.
var replaced = map[string]bool{
	"services.*.command":          true,
	"services.*.entrypoint":       true,
	"services.*.healthcheck.test": true,
	"services.*.dns":              true,
	"services.*.dns_search":       true,
	"services.*.dns_opt":          true,
}

// keyedLists merge entries that share the same key.
var keyedLists = map[string]func(*node) string{
	"services.*.volumes": volumeKey,
	"services.*.secrets": sourceKey,
	"services.*.configs": sourceKey,
	"services.*.ports":   portKey,
}

// genericPath replaces the service name of a path with "*".
func genericPath(path string) string {
	if rest, ok := strings.CutPrefix(path, "services."); ok {
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			return "services.*" + rest[i:]
		}
		return "services.*"
	}
	return path
}

// mergeNodes merges over into base and returns the result; nil means the
// key is to be removed.
func mergeNodes(base, over *node, path string) *node {
	switch over.tag {
	case "!reset":
		return nil
	case "!override":
		c := *over
		c.tag = ""
		return &c
	}
	if base == nil {
		return over
	}
	g := genericPath(path)
	if g == "services.*.build" {
		base, over = buildMap(base), buildMap(over)
	}
	if mappingLike[g] {
		base, over = asMapping(base, g), asMapping(over, g)
	}
	if base.kind == mapNode && over.kind == mapNode {
		out := base.clone()
		for i, k := range over.keys {
			merged := mergeNodes(out.get(k.value), over.items[i], joinPath(path, k.value))
			if merged == nil {
				out.del(k.value)
				continue
			}
			out.set(k.value, merged)
		}
		return out
	}
	if base.kind == seqNode && over.kind == seqNode && !replaced[g] {
		return mergeLists(base, over, keyedLists[g])
	}
	return over
}

func mergeLists(base, over *node, key func(*node) string) *node {
	if key == nil {
		key = scalarKey
	}
	out := base.clone()
	for _, item := range over.items {
		k := key(item)
		replacedAt := -1
		if k != "" {
			for i, existing := range out.items {
				if key(existing) == k {
					replacedAt = i
					break
				}
			}
		}
		if replacedAt >= 0 {
			out.items[replacedAt] = item
			continue
		}
		out.items = append(out.items, item)
	}
	return out
}

func scalarKey(n *node) string {
	if n.kind == scalarNode {
		return n.value
	}
	return ""
}

func volumeKey(n *node) string {
	if n.kind == scalarNode {
		if v, err := parseVolumeSpec(n.value); err == nil {
			return v.Target
		}
		return n.value
	}
	if t := n.get("target"); t != nil {
		return t.value
	}
	return ""
}

func sourceKey(n *node) string {
	if n.kind == scalarNode {
		return n.value
	}
	if s := n.get("source"); s != nil {
		return s.value
	}
	return ""
}

func portKey(n *node) string {
	if n.kind == scalarNode {
		return n.value
	}
	return ""
}

func buildMap(n *node) *node {
	if n.kind != scalarNode {
		return n
	}
	m := newMap(n)
	m.set("context", n)
	return m
}

// asMapping turns the list form of a mapping-like key into a mapping.
func asMapping(n *node, g string) *node {
	if n.kind != seqNode {
		return n
	}
	m := newMap(n)
	for _, item := range n.items {
		if item.kind != scalarNode {
			return n
		}
		switch g {
		case "services.*.networks":
			m.set(item.value, &node{kind: nullNode, pos: item.pos, base: item.base})
		case "services.*.depends_on":
			dep := newMap(item)
			dep.set("condition", scalar(ConditionStarted, item))
			m.set(item.value, dep)
		default:
			k, v, found := strings.Cut(item.value, "=")
			val := &node{kind: nullNode, pos: item.pos, base: item.base}
			if found {
				val = scalar(v, item)
			}
			m.set(k, val)
		}
	}
	return m
}

// dropResets removes the keys tagged !reset that had nothing to reset,
// and the !override tags that had nothing to override.
func dropResets(n *node) {
	if n == nil {
		return
	}
	if n.tag == "!override" {
		n.tag = ""
	}
	if n.kind == mapNode {
		for i := len(n.keys) - 1; i >= 0; i-- {
			if n.items[i].tag == "!reset" {
				n.del(n.keys[i].value)
			}
		}
	}
	for _, item := range n.items {
		dropResets(item)
	}
}
