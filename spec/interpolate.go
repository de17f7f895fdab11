package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// lookupFunc returns the value of a variable and whether it is set.
type lookupFunc func(name string) (string, bool)

// substitute expands $VAR, ${VAR} and the ${VAR:-default} family in s.
// $$ is a literal dollar. unset is called for every variable that is used
// without being set and without a default.
func substitute(s string, lookup lookupFunc, unset func(string)) (string, error) {
	if strings.IndexByte(s, '$') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		next := s[i+1]
		switch {
		case next == '$':
			b.WriteByte('$')
			i += 2
		case next == '{':
			end := closingBrace(s, i+2)
			if end == tooDeep {
				return "", fmt.Errorf("invalid interpolation format in %q: references nested more than %d deep", s, maxNesting)
			}
			if end < 0 {
				return "", fmt.Errorf("invalid interpolation format in %q: missing closing brace", s)
			}
			v, err := braced(s[i+2:end], lookup, unset)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i = end + 1
		case isNameStart(next):
			j := i + 1
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			b.WriteString(variable(s[i+1:j], lookup, unset))
			i = j
		default:
			// A dollar that starts no reference is kept, as a shell would.
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

func isNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isNameChar(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

// maxNesting bounds ${...} nesting, which is evaluated recursively.
const maxNesting = 32

const tooDeep = -2

func closingBrace(s string, from int) int {
	depth := 1
	for j := from; j < len(s); j++ {
		switch {
		case s[j] == '$' && j+1 < len(s) && s[j+1] == '{':
			depth++
			if depth > maxNesting {
				return tooDeep
			}
			j++
		case s[j] == '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

func variable(name string, lookup lookupFunc, unset func(string)) string {
	v, ok := lookup(name)
	if !ok && unset != nil {
		unset(name)
	}
	return v
}

// braced evaluates the inside of ${...}.
func braced(expr string, lookup lookupFunc, unset func(string)) (string, error) {
	j := 0
	for j < len(expr) && isNameChar(expr[j]) {
		j++
	}
	name, op := expr[:j], expr[j:]
	if name == "" || !isNameStart(name[0]) {
		return "", fmt.Errorf("invalid interpolation format for ${%s}: expected a variable name", expr)
	}
	if op == "" {
		return variable(name, lookup, unset), nil
	}
	value, set := lookup(name)
	colon := strings.HasPrefix(op, ":")
	if colon {
		op = op[1:]
	}
	if op == "" {
		return "", fmt.Errorf("invalid interpolation format for ${%s}: expected :-, -, :?, ?, :+ or + after the name", expr)
	}
	present := set && (!colon || value != "")
	arg := op[1:]
	switch op[0] {
	case '-':
		if present {
			return value, nil
		}
		return substitute(arg, lookup, unset)
	case '+':
		if present {
			return substitute(arg, lookup, unset)
		}
		return "", nil
	case '?':
		if present {
			return value, nil
		}
		msg, err := substitute(arg, lookup, unset)
		if err != nil {
			return "", err
		}
		if msg == "" {
			return "", fmt.Errorf("required variable %s is missing a value", name)
		}
		return "", fmt.Errorf("required variable %s is missing a value: %s", name, msg)
	}
	return "", fmt.Errorf("invalid interpolation format for ${%s}: expected :-, -, :?, ?, :+ or + after the name", expr)
}

// interpolator expands variables in every string scalar of a tree.
type interpolator struct {
	lookup lookupFunc
	errs   *errorList
	unset  map[string]bool
}

// walk interpolates n. The key path is kept as segments and joined only
// when there is an error to report, which keeps large files cheap.
func (in *interpolator) walk(n *node, path string) {
	parts := make([]pathSegment, 1, 32)
	parts[0] = pathSegment{key: path, index: -1}
	in.walkParts(n, parts)
}

// pathSegment is a key, or an index when index >= 0.
type pathSegment struct {
	key   string
	index int
}

func (in *interpolator) walkParts(n *node, parts []pathSegment) {
	if n == nil {
		return
	}
	switch n.kind {
	case scalarNode:
		if n.tag != "!!str" && !strings.HasPrefix(n.tag, "!") {
			return
		}
		if strings.IndexByte(n.value, '$') < 0 {
			return
		}
		v, err := substitute(n.value, in.lookup, in.noteUnset)
		if err != nil {
			in.errs.at(n, joinSegments(parts), "%v", err)
			return
		}
		n.value = v
	case mapNode:
		for i, k := range n.keys {
			in.walkParts(n.items[i], append(parts, pathSegment{key: k.value, index: -1}))
		}
	case seqNode:
		for i, item := range n.items {
			in.walkParts(item, append(parts, pathSegment{index: i}))
		}
	}
}

func joinSegments(parts []pathSegment) string {
	path := ""
	for _, p := range parts {
		if p.index >= 0 {
			path = indexPath(path, p.index)
		} else {
			path = joinPath(path, p.key)
		}
	}
	return path
}

func (in *interpolator) noteUnset(name string) {
	if in.unset != nil {
		in.unset[name] = true
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
