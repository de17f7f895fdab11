package spec

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Options say what to load and with which environment. The zero value
// discovers the stack file from the current directory.
type Options struct {
	// Files are the stack files in merge order; "-" reads Stdin. Empty
	// means COMPOSE_FILE, else discovery from WorkingDir upwards.
	Files []string
	// ProjectName overrides COMPOSE_PROJECT_NAME, the top-level name and
	// the directory name.
	ProjectName string
	// ProjectDir is where relative paths resolve and .env is read;
	// default: the directory of the first file.
	ProjectDir string
	// WorkingDir is where discovery starts and relative Files resolve;
	// default: the process's working directory.
	WorkingDir string
	// EnvFiles replace the project's .env for interpolation (later files
	// win).
	EnvFiles []string
	// Profiles are enabled in addition to COMPOSE_PROFILES; "*" enables all.
	Profiles []string
	// Environ is the process environment; nil means os.Environ(). It beats
	// every env file.
	Environ map[string]string
	// Stdin is read for the file "-".
	Stdin io.Reader
	// SkipInterpolation leaves ${VAR} references as they are.
	SkipInterpolation bool
	// SkipConsistency skips the checks that need the whole project to make
	// sense at run time (image or build present).
	SkipConsistency bool
	// SkipEnvFiles does not read services' env_file entries.
	SkipEnvFiles bool
}

// Load reads, merges, interpolates, validates and normalizes a project.
// A validation failure is reported as the errors.Join of *Error values,
// sorted by position.
func Load(ctx context.Context, options Options) (*Project, error) {
	l, err := newLoader(options)
	if err != nil {
		return nil, err
	}
	return l.load(ctx)
}

type loader struct {
	options    Options
	workingDir string
	projectDir string
	environ    map[string]string
	env        map[string]string // interpolation environment: environ over env files
	errs       errorList
	unset      map[string]bool
	warnings   []string
	files      map[string]*node // parsed extends sources by absolute path
	tree       *node            // the merged tree, for positions of later problems
	// resourceEnv holds the values of secrets' and configs' environment
	// sources, keyed "secrets.NAME", looked up in the declaring file's
	// environment.
	resourceEnv map[string]string
}

func newLoader(options Options) (*loader, error) {
	l := &loader{options: options, unset: map[string]bool{}, files: map[string]*node{}}
	l.environ = options.Environ
	if l.environ == nil {
		l.environ = osEnviron()
	}
	wd := options.WorkingDir
	if wd == "" {
		var err error
		if wd, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	l.workingDir, _ = filepath.Abs(wd)
	return l, nil
}

func osEnviron() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

func (l *loader) lookup(name string) (string, bool) {
	v, ok := l.env[name]
	return v, ok
}

func (l *loader) load(ctx context.Context) (*Project, error) {
	envDir := l.workingDir
	if l.options.ProjectDir != "" {
		envDir = absPath(l.workingDir, l.options.ProjectDir)
	}
	if err := l.loadEnv(envDir); err != nil {
		return nil, err
	}
	files, err := l.stackFiles(envDir)
	if err != nil {
		return nil, err
	}
	l.projectDir = envDir
	if l.options.ProjectDir == "" && files[0] != "-" {
		l.projectDir = filepath.Dir(files[0])
	}
	if l.projectDir != envDir && len(l.envFiles()) == 0 {
		if err := l.loadEnv(envDir, l.projectDir); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tree := l.loadFiles(files)
	if tree == nil {
		return nil, l.errs.err()
	}
	l.resolveExtends(tree)
	dropResets(tree)
	project := l.decodeProject(tree, files)
	l.finish(project)
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	return project, nil
}

// loadEnv sets the interpolation environment: the process environment
// over the --env-file files (later wins), or, without them, over the .env
// files of dirs, the first directory winning. A value in a lower file can
// refer to the ones above it.
func (l *loader) loadEnv(dirs ...string) error {
	l.env = make(map[string]string, len(l.environ))
	for k, v := range l.environ {
		l.env[k] = v
	}
	lookup := func(name string) (string, bool) {
		v, ok := l.env[name]
		return v, ok
	}
	envFiles := l.envFiles()
	if len(envFiles) > 0 {
		fileVars := map[string]string{}
		for _, f := range envFiles {
			vars, _, err := readDotenvFile(absPath(l.workingDir, f), func(name string) (string, bool) {
				if v, ok := l.environ[name]; ok {
					return v, true
				}
				v, ok := fileVars[name]
				return v, ok
			})
			if err != nil {
				return fmt.Errorf("env file %w", err)
			}
			for k, v := range vars {
				fileVars[k] = v
			}
		}
		l.setEnvDefaults(fileVars)
		return nil
	}
	seen := map[string]bool{}
	for _, dir := range dirs {
		path := filepath.Join(dir, ".env")
		if seen[path] {
			continue
		}
		seen[path] = true
		if info, err := os.Stat(path); err != nil || info.IsDir() {
			continue
		}
		vars, _, err := readDotenvFile(path, lookup)
		if err != nil {
			return fmt.Errorf("env file %w", err)
		}
		l.setEnvDefaults(vars)
	}
	return nil
}

// envFiles are --env-file, else COMPOSE_ENV_FILES (comma separated).
func (l *loader) envFiles() []string {
	if len(l.options.EnvFiles) > 0 {
		return l.options.EnvFiles
	}
	if v := l.environ["COMPOSE_ENV_FILES"]; v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// setEnvDefaults adds the variables that are not set yet.
func (l *loader) setEnvDefaults(vars map[string]string) {
	for k, v := range vars {
		if _, ok := l.env[k]; !ok {
			l.env[k] = v
		}
	}
}

// loadFiles parses, interpolates and merges the stack files in order.
func (l *loader) loadFiles(files []string) *node {
	var merged *node
	for _, file := range files {
		tree := l.loadFile(file, l.projectDir, l.lookup, nil)
		if tree == nil {
			continue
		}
		if merged == nil {
			merged = tree
			continue
		}
		merged = mergeNodes(merged, tree, "")
	}
	return merged
}

// loadFile parses and interpolates one file and applies its includes.
// chain holds the files being included, to detect include cycles.
func (l *loader) loadFile(file, base string, lookup lookupFunc, chain []string) *node {
	data, err := l.readFile(file)
	if err != nil {
		l.errs.add(&Error{Pos: pos{file: file}, Msg: err.Error()})
		return nil
	}
	tree := parseYAML(file, base, data, &l.errs)
	if tree == nil {
		return nil
	}
	if tree.kind == nullNode {
		l.errs.add(&Error{Pos: pos{file: file, line: 1, col: 1}, Msg: "empty stack file: expected a mapping with services"})
		return nil
	}
	if tree.kind != mapNode {
		l.errs.at(tree, "", "expected a mapping at the top level, got %s", describe(tree))
		return nil
	}
	if v := tree.get("version"); v != nil {
		l.warnings = append(l.warnings, fmt.Sprintf("%s: the top-level version is obsolete and ignored", v.pos))
		tree.del("version")
	}
	if !l.options.SkipInterpolation {
		in := &interpolator{lookup: lookup, errs: &l.errs, unset: l.unset}
		in.walk(tree, "")
	}
	l.recordResourceEnv(tree, lookup)
	l.applyIncludes(tree, file, append(chain, file))
	return tree
}

func (l *loader) readFile(file string) ([]byte, error) {
	if file == "-" {
		if l.options.Stdin == nil {
			return nil, fmt.Errorf("no standard input to read the stack file from")
		}
		return io.ReadAll(l.options.Stdin)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("file not found")
		}
		return nil, err
	}
	return data, nil
}

func (l *loader) decodeProject(tree *node, files []string) *Project {
	p := &Project{ComposeFiles: files, WorkingDir: l.projectDir, Environment: l.env}
	l.tree = tree
	d := &decoder{errs: &l.errs}
	services := tree.get("services")
	if services != nil && services.kind == mapNode {
		for i, k := range services.keys {
			if services.items[i].kind == nullNode {
				l.errs.at(services.items[i], "services."+k.value, "expected a mapping, got null")
			}
		}
	}
	d.decode(tree, "", reflectValue(p))
	if p.Services == nil {
		p.Services = map[string]*Service{}
	}
	for name, s := range p.Services {
		if s == nil {
			p.Services[name] = &Service{}
			s = p.Services[name]
		}
		s.Name = name
	}
	for name := range l.unset {
		l.warnings = append(l.warnings, fmt.Sprintf("the %q variable is not set, defaulting to a blank string", name))
	}
	sort.Strings(l.warnings)
	p.Warnings = l.warnings
	return p
}

func (l *loader) recordResourceEnv(tree *node, lookup lookupFunc) {
	for _, section := range []string{"secrets", "configs"} {
		m := tree.get(section)
		if m == nil || m.kind != mapNode {
			continue
		}
		for i, k := range m.keys {
			env := m.items[i].get("environment")
			if env == nil || env.kind != scalarNode {
				continue
			}
			key := section + "." + k.value
			if _, seen := l.resourceEnv[key]; seen {
				continue
			}
			if v, ok := lookup(env.value); ok {
				if l.resourceEnv == nil {
					l.resourceEnv = map[string]string{}
				}
				l.resourceEnv[key] = v
			}
		}
	}
}
