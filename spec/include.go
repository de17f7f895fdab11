package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// applyIncludes loads the files named by the top-level include, each as a
// project of its own (its own directory, its own .env), and adds their
// services, networks, volumes, secrets, configs and models to tree. A
// service defined both here and in an included file is an error.
func (l *loader) applyIncludes(tree *node, file string, chain []string) {
	inc := tree.get("include")
	if inc == nil {
		return
	}
	tree.del("include")
	if inc.kind != seqNode {
		l.errs.at(inc, "include", "expected a list, got %s", describe(inc))
		return
	}
	for i, item := range inc.items {
		path := fmt.Sprintf("include[%d]", i)
		included := l.include(item, path, file, chain)
		if included != nil {
			l.mergeIncluded(tree, included, path)
		}
	}
}

type includeSpec struct {
	files      []string
	projectDir string
	envFiles   []string
}

func (l *loader) parseInclude(item *node, path, file string) (includeSpec, bool) {
	var spec includeSpec
	dir := filepath.Dir(file)
	if file == "-" {
		dir = l.projectDir
	}
	switch item.kind {
	case scalarNode:
		spec.files = []string{item.value}
	case mapNode:
		for _, k := range item.keys {
			switch k.value {
			case "path", "project_directory", "env_file":
			default:
				l.unknownKeyAt(k, path+"."+k.value, []string{"path", "project_directory", "env_file"})
			}
		}
		spec.files = l.paths(item.get("path"), path+".path")
		spec.envFiles = l.paths(item.get("env_file"), path+".env_file")
		if pd := item.get("project_directory"); pd != nil && pd.kind == scalarNode {
			spec.projectDir = absPath(dir, pd.value)
		}
	default:
		l.errs.at(item, path, "expected a path or a mapping with path, got %s", describe(item))
		return spec, false
	}
	if len(spec.files) == 0 {
		l.errs.at(item, path, "missing \"path\": expected the file to include")
		return spec, false
	}
	for i, f := range spec.files {
		spec.files[i] = absPath(dir, f)
	}
	if spec.projectDir == "" {
		spec.projectDir = filepath.Dir(spec.files[0])
	}
	for i, f := range spec.envFiles {
		spec.envFiles[i] = absPath(dir, f)
	}
	return spec, true
}

// paths reads a path or a list of paths.
func (l *loader) paths(n *node, path string) []string {
	switch {
	case n == nil:
		return nil
	case n.kind == scalarNode:
		return []string{n.value}
	case n.kind == seqNode:
		var out []string
		for i, s := range n.items {
			if s.kind != scalarNode {
				l.errs.at(s, indexPath(path, i), "expected a path, got %s", describe(s))
				continue
			}
			out = append(out, s.value)
		}
		return out
	}
	l.errs.at(n, path, "expected a path or a list of paths, got %s", describe(n))
	return nil
}

func (l *loader) include(item *node, path, file string, chain []string) *node {
	spec, ok := l.parseInclude(item, path, file)
	if !ok {
		return nil
	}
	for _, f := range spec.files {
		for _, c := range chain {
			if c == f {
				l.errs.at(item, path, "include cycle detected: %s -> %s", strings.Join(chain, " -> "), f)
				return nil
			}
		}
	}
	lookup, err := l.includeEnv(spec)
	if err != nil {
		l.errs.at(item, path, "%v", err)
		return nil
	}
	var merged *node
	for _, f := range spec.files {
		tree := l.loadFile(f, spec.projectDir, lookup, chain)
		if tree == nil {
			continue
		}
		if merged == nil {
			merged = tree
		} else {
			merged = mergeNodes(merged, tree, "")
		}
	}
	if merged != nil {
		l.resolveExtends(merged)
	}
	return merged
}

// includeEnv is the environment of an included project: the process
// environment over its env files (default: its .env) over the including
// project's environment.
func (l *loader) includeEnv(spec includeSpec) (lookupFunc, error) {
	files, optional := spec.envFiles, false
	if len(files) == 0 {
		files, optional = []string{filepath.Join(spec.projectDir, ".env")}, true
	}
	vars := map[string]string{}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil && optional {
			continue
		}
		v, _, err := readDotenvFile(f, l.lookup)
		if err != nil {
			return nil, fmt.Errorf("env file %w", err)
		}
		for k, val := range v {
			vars[k] = val
		}
	}
	return func(name string) (string, bool) {
		if v, ok := l.environ[name]; ok {
			return v, true
		}
		if v, ok := vars[name]; ok {
			return v, true
		}
		return l.lookup(name)
	}, nil
}

var includedSections = []string{"services", "networks", "volumes", "secrets", "configs", "models"}

func (l *loader) mergeIncluded(tree, included *node, path string) {
	for _, section := range includedSections {
		from := included.get(section)
		if from == nil || from.kind != mapNode {
			continue
		}
		to := tree.get(section)
		if to == nil || to.kind != mapNode {
			to = newMap(from)
			tree.set(section, to)
		}
		for i, k := range from.keys {
			if existing := to.get(k.value); existing != nil {
				if section == "services" {
					l.errs.at(existing, section+"."+k.value, "conflicts with the service of the same name included by %s", path)
				}
				continue
			}
			to.set(k.value, from.items[i])
		}
	}
}
