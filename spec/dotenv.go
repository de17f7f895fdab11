package spec

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// parseDotenv parses the dotenv syntax Compose accepts: KEY=VALUE lines,
// `export` prefixes, comments, single quotes (literal), double quotes
// (escapes, may span lines), and ${VAR} references expanded from lookup
// first, then from the lines above. A bare KEY takes its value from lookup
// and is left out when lookup does not have it. It returns the variables in
// file order as well as a map.
func parseDotenv(data []byte, lookup lookupFunc) (map[string]string, []string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	vars := map[string]string{}
	var order []string
	chain := func(name string) (string, bool) {
		if v, ok := lookup(name); ok {
			return v, true
		}
		v, ok := vars[name]
		return v, ok
	}
	p := &dotenvParser{text: text, line: 1}
	for p.more() {
		key, value, ok, err := p.next(chain)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		if _, seen := vars[key]; !seen {
			order = append(order, key)
		}
		vars[key] = value
	}
	return vars, order, nil
}

type dotenvParser struct {
	text string
	line int
}

func (p *dotenvParser) more() bool { return p.text != "" }

// takeLine removes and returns the rest of the current line.
func (p *dotenvParser) takeLine() string {
	i := strings.IndexByte(p.text, '\n')
	if i < 0 {
		s := p.text
		p.text = ""
		return s
	}
	s := p.text[:i]
	p.text = p.text[i+1:]
	p.line++
	return s
}

func (p *dotenvParser) next(lookup lookupFunc) (key, value string, ok bool, err error) {
	p.text = strings.TrimLeft(p.text, " \t")
	if p.text == "" {
		return "", "", false, nil
	}
	if p.text[0] == '\n' || p.text[0] == '#' {
		p.takeLine()
		return "", "", false, nil
	}
	line := p.line
	if rest, found := strings.CutPrefix(p.text, "export "); found {
		p.text = strings.TrimLeft(rest, " \t")
	}
	end := strings.IndexAny(p.text, "=\n")
	if end < 0 || p.text[end] == '\n' {
		key = strings.TrimSpace(p.takeLine())
		if strings.ContainsAny(key, " \t") {
			return "", "", false, fmt.Errorf("line %d: key cannot contain a space", line)
		}
		if key == "" || !validEnvKey(key) {
			return "", "", false, nil
		}
		v, found := lookup(key)
		return key, v, found, nil
	}
	key = strings.TrimSpace(p.text[:end])
	p.text = p.text[end+1:]
	if strings.ContainsAny(key, " \t") {
		return "", "", false, fmt.Errorf("line %d: key cannot contain a space", line)
	}
	value, err = p.value(line, lookup)
	if err != nil {
		return "", "", false, err
	}
	if key == "" || !validEnvKey(key) {
		return "", "", false, nil
	}
	return key, value, true, nil
}

// validEnvKey rejects keys that start with a digit, which Compose drops
// silently.
func validEnvKey(key string) bool { return key[0] < '0' || key[0] > '9' }

func (p *dotenvParser) value(line int, lookup lookupFunc) (string, error) {
	p.text = strings.TrimLeft(p.text, " \t")
	if p.text == "" {
		return "", nil
	}
	switch q := p.text[0]; q {
	case '\'', '"':
		end := closingQuote(p.text, q)
		if end < 0 {
			return "", fmt.Errorf("line %d: unterminated quoted value", line)
		}
		raw := p.text[1:end]
		p.line += strings.Count(raw, "\n")
		p.text = p.text[end+1:]
		rest := strings.TrimSpace(p.takeLine())
		if rest != "" && rest[0] != '#' {
			return "", fmt.Errorf("line %d: unexpected %q after the closing quote", line, rest)
		}
		if q == '\'' {
			return strings.ReplaceAll(raw, `\'`, `'`), nil
		}
		return substitute(unescapeDouble(raw), lookup, nil)
	}
	raw := p.takeLine()
	if i := strings.Index(raw, " #"); i >= 0 {
		raw = raw[:i]
	}
	if i := strings.Index(raw, "\t#"); i >= 0 {
		raw = raw[:i]
	}
	return substitute(strings.TrimSpace(raw), lookup, nil)
}

func closingQuote(s string, q byte) int {
	for i := 1; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == q {
			return i
		}
	}
	return -1
}

// unescapeDouble processes the escapes of a double-quoted value; \$ turns
// into $$ so that the expansion that follows keeps it literal.
func unescapeDouble(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '$':
			b.WriteString("$$")
		case '"', '\\', '\'':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// parseRawEnv parses the `docker run --env-file` format: KEY=VALUE taken
// verbatim, comments and blank lines skipped, a bare KEY read from lookup.
func parseRawEnv(data []byte, lookup lookupFunc) (map[string]string, []string) {
	vars := map[string]string{}
	var order []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		key, value, found := strings.Cut(strings.TrimLeft(line, " \t"), "=")
		if !found {
			v, ok := lookup(key)
			if !ok {
				continue
			}
			value = v
		}
		if _, seen := vars[key]; !seen {
			order = append(order, key)
		}
		vars[key] = value
	}
	return vars, order
}

// readDotenvFile reads and parses a dotenv file.
func readDotenvFile(path string, lookup lookupFunc) (map[string]string, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	vars, order, err := parseDotenv(data, lookup)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return vars, order, nil
}
