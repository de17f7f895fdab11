package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// buildContext is the directory a build reads ADD and COPY sources from,
// seen through its .dockerignore.
type buildContext struct {
	root    string
	matcher *patternmatcher.PatternMatcher
	files   map[string]fs.FileInfo // relative slash path → lstat, "" excluded
	names   []string               // sorted keys of files
}

// openContext lists the context directory, leaving out what .dockerignore
// excludes.
func openContext(root string) (*buildContext, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("build context %s: not a directory", root)
	}
	c := &buildContext{root: abs, files: map[string]fs.FileInfo{}}
	if err := c.readIgnore(); err != nil {
		return nil, err
	}
	if err := c.walk(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *buildContext) readIgnore() error {
	f, err := os.Open(filepath.Join(c.root, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return fmt.Errorf(".dockerignore: %w", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return fmt.Errorf(".dockerignore: %w", err)
	}
	c.matcher = pm
	return nil
}

func (c *buildContext) walk() error {
	parents := map[string]patternmatcher.MatchInfo{}
	err := filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.root, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		excluded, info, err := c.excluded(rel, parents)
		if err != nil {
			return err
		}
		if d.IsDir() {
			parents[rel] = info
		}
		if excluded {
			if d.IsDir() && !c.matcher.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		c.files[rel] = fi
		c.names = append(c.names, rel)
		return nil
	})
	sort.Strings(c.names)
	return err
}

func (c *buildContext) excluded(rel string, parents map[string]patternmatcher.MatchInfo) (bool, patternmatcher.MatchInfo, error) {
	if c.matcher == nil {
		return false, patternmatcher.MatchInfo{}, nil
	}
	return c.matcher.MatchesUsingParentResults(rel, parents[path.Dir(rel)])
}

// abs returns the host path of a context-relative path.
func (c *buildContext) abs(rel string) string {
	return filepath.Join(c.root, filepath.FromSlash(rel))
}

// cleanSource makes a COPY source relative to the context root, refusing
// paths that leave it.
func cleanSource(src string) (string, error) {
	s := filepath.ToSlash(src)
	if c := path.Clean(s); !path.IsAbs(s) && (c == ".." || strings.HasPrefix(c, "../")) {
		return "", fmt.Errorf("forbidden path outside the build context: %s", src)
	}
	return strings.TrimPrefix(path.Clean("/"+s), "/"), nil
}

// match returns the context paths a source names: the path itself, or every
// path a wildcard pattern matches. A directory brings nothing of its own
// here; the caller walks it.
func (c *buildContext) match(src string) ([]string, error) {
	rel, err := cleanSource(src)
	if err != nil {
		return nil, err
	}
	if !hasWildcard(rel) {
		if rel == "" {
			return []string{""}, nil
		}
		if _, ok := c.files[rel]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrNotInContext, src)
		}
		return []string{rel}, nil
	}
	var out []string
	for _, name := range c.names {
		if ok, _ := path.Match(rel, name); ok {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no file matches %s", ErrNotInContext, src)
	}
	return out, nil
}

// under returns the context paths below dir, sorted ("" is the root).
func (c *buildContext) under(dir string) []string {
	if dir == "" {
		return c.names
	}
	prefix := dir + "/"
	i := sort.SearchStrings(c.names, prefix)
	var out []string
	for ; i < len(c.names) && strings.HasPrefix(c.names[i], prefix); i++ {
		out = append(out, c.names[i])
	}
	return out
}

func hasWildcard(p string) bool { return strings.ContainsAny(p, "*?[") }
