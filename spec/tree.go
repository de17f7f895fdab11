package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// The loader works on its own tree rather than on yaml.Node: aliases and
// merge keys are expanded, every node knows its file, and every node knows
// the directory its relative paths resolve against (the project directory
// for -f files, the file's own directory for extends and include).
type kind uint8

const (
	nullNode kind = iota
	scalarNode
	mapNode
	seqNode
)

func (k kind) String() string {
	switch k {
	case nullNode:
		return "null"
	case scalarNode:
		return "scalar"
	case mapNode:
		return "mapping"
	case seqNode:
		return "sequence"
	}
	return "unknown"
}

type node struct {
	kind  kind
	tag   string // scalar tag: !!str, !!int, !!float, !!bool, !!null; or !reset / !override
	value string
	keys  []*node // mapping keys, in file order
	items []*node // mapping values (parallel to keys) or sequence items
	pos   pos
	base  string // directory relative paths resolve against
}

type pos struct {
	file      string
	line, col int
}

func (p pos) String() string {
	if p.line == 0 {
		return p.file
	}
	return fmt.Sprintf("%s:%d:%d", p.file, p.line, p.col)
}

// get returns the value of key in a mapping node, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != mapNode {
		return nil
	}
	for i, k := range n.keys {
		if k.value == key {
			return n.items[i]
		}
	}
	return nil
}

func (n *node) index(key string) int {
	for i, k := range n.keys {
		if k.value == key {
			return i
		}
	}
	return -1
}

// set replaces or appends key in a mapping node.
func (n *node) set(key string, v *node) {
	if i := n.index(key); i >= 0 {
		n.items[i] = v
		return
	}
	n.keys = append(n.keys, &node{kind: scalarNode, tag: "!!str", value: key, pos: v.pos, base: v.base})
	n.items = append(n.items, v)
}

func (n *node) del(key string) {
	if i := n.index(key); i >= 0 {
		n.keys = append(n.keys[:i:i], n.keys[i+1:]...)
		n.items = append(n.items[:i:i], n.items[i+1:]...)
	}
}

func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := *n
	if n.keys != nil {
		c.keys = make([]*node, len(n.keys))
		for i, k := range n.keys {
			c.keys[i] = k.clone()
		}
	}
	if n.items != nil {
		c.items = make([]*node, len(n.items))
		for i, v := range n.items {
			c.items[i] = v.clone()
		}
	}
	return &c
}

func scalar(value string, at *node) *node {
	return &node{kind: scalarNode, tag: "!!str", value: value, pos: at.pos, base: at.base}
}

func newMap(at *node) *node { return &node{kind: mapNode, pos: at.pos, base: at.base} }

// maxNodes bounds alias expansion so that a "billion laughs" document
// fails instead of exhausting memory.
const maxNodes = 1 << 18

type converter struct {
	file, base string
	count      int
	errs       *errorList
	slab       []node // nodes are allocated in blocks: far fewer allocations on large files
}

func (c *converter) newNode(n node) *node {
	if len(c.slab) == 0 {
		c.slab = make([]node, 256)
	}
	p := &c.slab[0]
	*p = n
	c.slab = c.slab[1:]
	return p
}

var yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// parseYAML parses one stack file into a tree. An empty document yields a
// null node.
func parseYAML(file, base string, data []byte, errs *errorList) *node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		errs.add(yamlError(file, data, err))
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &node{kind: nullNode, pos: pos{file: file}, base: base}
	}
	c := &converter{file: file, base: base, errs: errs}
	n := c.convert(doc.Content[0], 0)
	if c.count > maxNodes {
		return nil
	}
	return n
}

func yamlError(file string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, col := 0, 0
	if m := yamlLineRe().FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		col = 1
		lines := strings.Split(string(data), "\n")
		if line >= 1 && line <= len(lines) {
			if i := strings.IndexByte(lines[line-1], '\t'); i >= 0 {
				col = i + 1
				msg = "tab character found; YAML is indented with spaces only"
			}
		}
	}
	return &Error{Pos: pos{file, line, col}, Msg: msg}
}

func (c *converter) convert(y *yaml.Node, depth int) *node {
	c.count++
	p := pos{c.file, y.Line, y.Column}
	if c.count > maxNodes || depth > 200 {
		if c.count == maxNodes+1 || depth == 201 {
			c.errs.add(&Error{Pos: p, Msg: "document too large or too deeply nested (alias expansion)"})
		}
		return c.newNode(node{kind: nullNode, pos: p, base: c.base})
	}
	switch y.Kind {
	case yaml.AliasNode:
		return c.convert(y.Alias, depth+1)
	case yaml.ScalarNode:
		tag := y.ShortTag()
		if tag == "!!null" {
			return c.newNode(node{kind: nullNode, tag: y.Tag, pos: p, base: c.base})
		}
		return c.newNode(node{kind: scalarNode, tag: tag, value: y.Value, pos: p, base: c.base})
	case yaml.SequenceNode:
		n := c.newNode(node{kind: seqNode, tag: y.Tag, pos: p, base: c.base, items: make([]*node, 0, len(y.Content))})
		for _, item := range y.Content {
			n.items = append(n.items, c.convert(item, depth+1))
		}
		return n
	case yaml.MappingNode:
		return c.mapping(y, p, depth)
	}
	return &node{kind: nullNode, pos: p, base: c.base}
}

func (c *converter) mapping(y *yaml.Node, p pos, depth int) *node {
	n := c.newNode(node{kind: mapNode, tag: y.Tag, pos: p, base: c.base, keys: make([]*node, 0, len(y.Content)/2), items: make([]*node, 0, len(y.Content)/2)})
	var merged []*node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, c.mergeSources(v, depth)...)
			continue
		}
		key := c.convert(k, depth+1)
		if key.kind != scalarNode && key.kind != nullNode {
			c.errs.add(&Error{Pos: key.pos, Msg: "mapping key must be a scalar"})
			continue
		}
		if n.index(key.value) >= 0 {
			c.errs.add(&Error{Pos: key.pos, Msg: fmt.Sprintf("duplicate key %q", key.value)})
			continue
		}
		n.keys = append(n.keys, key)
		n.items = append(n.items, c.convert(v, depth+1))
	}
	// Explicit keys win over merged ones; among merged mappings the first
	// one listed wins.
	for _, m := range merged {
		for i, k := range m.keys {
			if n.index(k.value) < 0 {
				n.keys = append(n.keys, k)
				n.items = append(n.items, m.items[i])
			}
		}
	}
	return n
}

func (c *converter) mergeSources(y *yaml.Node, depth int) []*node {
	if y.Kind == yaml.SequenceNode {
		var out []*node
		for _, item := range y.Content {
			out = append(out, c.mergeSources(item, depth+1)...)
		}
		return out
	}
	m := c.convert(y, depth+1)
	if m.kind != mapNode {
		c.errs.add(&Error{Pos: m.pos, Msg: "merge key << expects a mapping or a list of mappings"})
		return nil
	}
	return []*node{m}
}
