package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// DefaultFileNames are the stack file names looked for, in order.
var DefaultFileNames = []string{"stack.yaml", "stack.yml", "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// stackFiles returns the absolute paths of the files to load: the given
// ones, else COMPOSE_FILE, else the first default name found in dir or
// one of its parents, with its override file when there is one.
func (l *loader) stackFiles(dir string) ([]string, error) {
	files := l.options.Files
	if len(files) == 0 {
		if v := l.env["COMPOSE_FILE"]; v != "" {
			sep := l.env["COMPOSE_PATH_SEPARATOR"]
			if sep == "" {
				sep = string(os.PathListSeparator)
			}
			files = strings.Split(v, sep)
		}
	}
	if len(files) == 0 {
		found := discover(dir)
		if found == nil {
			return nil, ErrNoStackFile
		}
		return found, nil
	}
	out := make([]string, len(files))
	for i, f := range files {
		if f == "-" {
			out[i] = f
			continue
		}
		out[i] = absPath(dir, f)
		if len(l.options.Files) > 0 {
			out[i] = absPath(l.workingDir, f)
		}
	}
	return out, nil
}

func discover(dir string) []string {
	for {
		for _, name := range DefaultFileNames {
			path := filepath.Join(dir, name)
			if info, err := os.Stat(path); err == nil && !info.IsDir() {
				files := []string{path}
				ext := filepath.Ext(name)
				override := filepath.Join(dir, strings.TrimSuffix(name, ext)+".override"+ext)
				if _, err := os.Stat(override); err == nil {
					files = append(files, override)
				}
				return files
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

// isProjectName reports whether s is a valid project name: lower case
// letters, digits, _ and -, starting with a letter or a digit.
func isProjectName(s string) bool {
	if s == "" || s[0] == '_' || s[0] == '-' {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !isProjectNameRune(r) }) < 0
}

func isProjectNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// NormalizeProjectName turns a directory name into a project name the way
// Compose does: lower case, only a-z, 0-9, _ and -, starting with a letter
// or a digit.
func NormalizeProjectName(s string) string {
	s = strings.Map(func(r rune) rune {
		if isProjectNameRune(r) {
			return r
		}
		return -1
	}, strings.ToLower(s))
	return strings.TrimLeft(s, "_-")
}

func reflectValue(p *Project) reflect.Value { return reflect.ValueOf(p).Elem() }
