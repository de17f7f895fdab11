package spec

import (
	"path/filepath"
	"sort"
	"strings"
)

// resolveExtends replaces every service's extends with the merge of the
// extended service (resolved first, recursively) and the service's own
// keys. A service from another file keeps that file's directory as the
// base of its relative paths.
func (l *loader) resolveExtends(tree *node) {
	services := tree.get("services")
	if services == nil || services.kind != mapNode {
		return
	}
	reported := map[string]bool{}
	for i, k := range services.keys {
		services.items[i] = l.extendService(services, k.value, services.items[i], "", nil, reported)
	}
}

type extendsRef struct{ file, service string }

// extendService resolves the extends of one service. chain holds the
// services being resolved, to detect cycles; reported keeps a cycle from
// being reported once per member.
func (l *loader) extendService(services *node, name string, svc *node, file string, chain []extendsRef, reported map[string]bool) *node {
	path := "services." + name
	ext := svc.get("extends")
	if ext == nil || svc.kind != mapNode {
		return svc
	}
	svc = svc.clone()
	svc.del("extends")
	ref := extendsRef{file: file, service: name}
	for i, r := range chain {
		if r == ref {
			var names []string
			for _, c := range chain[i:] {
				names = append(names, c.service)
			}
			key := append([]string{}, names...)
			sort.Strings(key)
			if !reported[strings.Join(key, ",")] {
				reported[strings.Join(key, ",")] = true
				l.errs.at(ext, path+".extends", "circular reference: %s -> %s", strings.Join(names, " -> "), name)
			}
			return svc
		}
	}
	chain = append(chain, ref)
	target, fromFile, ok := l.extendsTarget(ext, path)
	if !ok {
		return svc
	}
	source := services
	sourceFile := file
	if fromFile != "" {
		tree := l.extendsFile(fromFile, ext, path+".extends.file")
		if tree == nil {
			return svc
		}
		source = tree.get("services")
		sourceFile = fromFile
	}
	baseSvc := source.get(target)
	if baseSvc == nil {
		l.errs.at(ext, path+".extends", "extends undefined service %q", target)
		return svc
	}
	if baseSvc.kind != mapNode {
		l.errs.at(baseSvc, "services."+target, "expected a mapping, got %s", describe(baseSvc))
		return svc
	}
	resolved := l.extendService(source, target, baseSvc, sourceFile, chain, reported)
	merged := mergeNodes(resolved.clone(), svc, path)
	merged.pos = svc.pos
	return merged
}

func (l *loader) extendsTarget(ext *node, path string) (service, file string, ok bool) {
	switch ext.kind {
	case scalarNode:
		return ext.value, "", true
	case mapNode:
		s := ext.get("service")
		if s == nil || s.kind != scalarNode {
			l.errs.at(ext, path+".extends", "missing \"service\": expected the name of the service to extend")
			return "", "", false
		}
		for _, k := range ext.keys {
			if k.value != "service" && k.value != "file" {
				l.unknownKeyAt(k, path+".extends."+k.value, []string{"service", "file"})
			}
		}
		if f := ext.get("file"); f != nil && f.value != "" {
			dir := filepath.Dir(ext.pos.file)
			if ext.pos.file == "-" {
				dir = l.projectDir
			}
			return s.value, absPath(dir, f.value), true
		}
		return s.value, "", true
	}
	l.errs.at(ext, path+".extends", "expected a service name or a mapping with service and file, got %s", describe(ext))
	return "", "", false
}

func (l *loader) unknownKeyAt(k *node, path string, names []string) {
	d := &decoder{errs: &l.errs}
	d.unknownKey(k, path, k.value, names)
}

// extendsFile parses another file named by extends; its relative paths
// resolve against its own directory.
func (l *loader) extendsFile(file string, at *node, path string) *node {
	if tree, ok := l.files[file]; ok {
		return tree
	}
	data, err := l.readFile(file)
	if err != nil {
		l.errs.at(at, path, "%s: %v", file, err)
		l.files[file] = nil
		return nil
	}
	tree := parseYAML(file, filepath.Dir(file), data, &l.errs)
	if tree == nil || tree.kind != mapNode || tree.get("services") == nil || tree.get("services").kind != mapNode {
		if tree != nil {
			l.errs.at(at, path, "%s: expected a services mapping", file)
		}
		l.files[file] = nil
		return nil
	}
	if !l.options.SkipInterpolation {
		in := &interpolator{lookup: l.lookup, errs: &l.errs, unset: l.unset}
		in.walk(tree, "")
	}
	l.files[file] = tree
	return tree
}
