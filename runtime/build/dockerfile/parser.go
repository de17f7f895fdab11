// Package dockerfile parses Dockerfiles into instructions: parser
// directives, comments, line continuations, heredocs and the JSON (exec)
// form. It does no variable substitution; that needs the build's state.
package dockerfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// File is a parsed Dockerfile.
type File struct {
	Escape       rune              // the escape character, '\\' or '`'
	Directives   map[string]string // parser directives, lower-case keys
	Instructions []*Instruction
}

// Instruction is one instruction with its continuation lines joined.
type Instruction struct {
	Command  string   // lower-case keyword: "from", "run", ...
	Flags    []string // leading --flag[=value] words, as written
	Args     string   // the text after the keyword and flags
	JSON     []string // the exec form's words when IsJSON
	IsJSON   bool
	Heredocs []Heredoc
	Original string // the instruction as one line, as written
	Line     int    // first line, 1-based
	EndLine  int
}

// Heredoc is a here-document attached to a RUN, COPY or ADD.
type Heredoc struct {
	Name    string // the delimiter word
	Token   string // the opening as written: <<EOF, <<-"EOF"
	Content string // the body, with a trailing newline per line
	Expand  bool   // false when the delimiter was quoted
	Chomp   bool   // <<- strips leading tabs
}

// Error is a syntax error with its position.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var (
	directiveRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)
	})
	heredocRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`<<(-?)\s*(?:"([^"\s]+)"|'([^'\s]+)'|([A-Za-z_][A-Za-z0-9_]*))`)
	})
)

// Known reports whether command is a Dockerfile instruction.
func Known(command string) bool {
	switch command {
	case "from", "arg", "env", "label", "maintainer", "workdir", "user", "add", "copy",
		"run", "expose", "volume", "cmd", "entrypoint", "stopsignal", "healthcheck",
		"shell", "onbuild":
		return true
	}
	return false
}

// jsonCommands may be written in the exec (JSON array) form.
var jsonCommands = map[string]bool{
	"run": true, "cmd": true, "entrypoint": true, "shell": true,
	"copy": true, "add": true, "volume": true,
}

// heredocCommands accept here-documents.
var heredocCommands = map[string]bool{"run": true, "copy": true, "add": true}

// Parse reads a Dockerfile.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	f := &File{Escape: '\\', Directives: map[string]string{}}
	i, err := f.directives(lines)
	if err != nil {
		return nil, err
	}
	p := &lineParser{lines: lines, next: i, escape: f.Escape}
	for {
		ins, err := p.instruction()
		if err != nil {
			return nil, err
		}
		if ins == nil {
			return f, nil
		}
		f.Instructions = append(f.Instructions, ins)
	}
}

// directives reads the parser directives at the top of the file and
// returns the index of the first line after them.
func (f *File) directives(lines []string) (int, error) {
	for i, line := range lines {
		m := directiveRe().FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			return i, nil
		}
		key := strings.ToLower(m[1])
		if _, dup := f.Directives[key]; dup {
			return 0, &Error{i + 1, fmt.Sprintf("only one %s parser directive can be used", key)}
		}
		f.Directives[key] = m[2]
		if key == "escape" {
			switch m[2] {
			case "\\":
				f.Escape = '\\'
			case "`":
				f.Escape = '`'
			default:
				return 0, &Error{i + 1, fmt.Sprintf("invalid escape token %q: expected \\ or `", m[2])}
			}
		}
	}
	return len(lines), nil
}

type lineParser struct {
	lines  []string
	next   int
	escape rune
}

// instruction returns the next instruction, or nil at the end of the file.
func (p *lineParser) instruction() (*Instruction, error) {
	var text strings.Builder
	start := -1
	for p.next < len(p.lines) {
		raw := p.lines[p.next]
		p.next++
		trimmed := strings.TrimLeftFunc(raw, unicode.IsSpace)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if start < 0 {
			if trimmed == "" {
				continue
			}
			start = p.next
			raw = trimmed
		} else if strings.TrimSpace(raw) == "" {
			continue // an empty line inside a continuation is skipped
		}
		body, continued := p.trimContinuation(raw)
		text.WriteString(body)
		if !continued {
			break
		}
	}
	if start < 0 {
		return nil, nil
	}
	return p.split(text.String(), start)
}

// trimContinuation removes a trailing escape character and reports whether
// the instruction continues on the next line.
func (p *lineParser) trimContinuation(line string) (string, bool) {
	t := strings.TrimRightFunc(line, unicode.IsSpace)
	if strings.HasSuffix(t, string(p.escape)) {
		return t[:len(t)-len(string(p.escape))], true
	}
	return line, false
}

func (p *lineParser) split(text string, line int) (*Instruction, error) {
	text = strings.TrimSpace(text)
	keyword, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		keyword, rest = text[:i], text[i+1:]
	}
	ins := &Instruction{Command: strings.ToLower(keyword), Original: text, Line: line}
	if !Known(ins.Command) {
		return nil, &Error{line, fmt.Sprintf("unknown instruction: %s", keyword)}
	}
	ins.Flags, ins.Args = extractFlags(strings.TrimSpace(rest))
	if jsonCommands[ins.Command] && strings.HasPrefix(ins.Args, "[") {
		var words []string
		if err := json.Unmarshal([]byte(ins.Args), &words); err == nil {
			ins.JSON, ins.IsJSON = words, true
		}
	}
	if heredocCommands[ins.Command] && !ins.IsJSON {
		if err := p.heredocs(ins); err != nil {
			return nil, err
		}
	}
	ins.EndLine = p.next
	if ins.Command == "onbuild" && ins.Args == "" {
		return nil, &Error{line, "ONBUILD requires an instruction"}
	}
	return ins, nil
}

// extractFlags takes the leading --name[=value] words off args.
func extractFlags(args string) ([]string, string) {
	var flags []string
	for strings.HasPrefix(args, "--") {
		end := strings.IndexFunc(args, unicode.IsSpace)
		if end < 0 {
			end = len(args)
		}
		word := args[:end]
		if word == "--" {
			args = strings.TrimSpace(args[end:])
			break
		}
		flags = append(flags, word)
		args = strings.TrimLeftFunc(args[end:], unicode.IsSpace)
	}
	return flags, args
}

// heredocs reads the bodies of the here-documents the instruction opens.
func (p *lineParser) heredocs(ins *Instruction) error {
	for _, m := range heredocRe().FindAllStringSubmatch(ins.Args, -1) {
		h := Heredoc{Token: m[0], Chomp: m[1] == "-", Expand: m[4] != ""}
		h.Name = m[2] + m[3] + m[4]
		var body strings.Builder
		closed := false
		for p.next < len(p.lines) {
			line := p.lines[p.next]
			p.next++
			if h.Chomp {
				line = strings.TrimLeft(line, "\t")
			}
			if line == h.Name {
				closed = true
				break
			}
			body.WriteString(line + "\n")
		}
		if !closed {
			return &Error{ins.Line, fmt.Sprintf("unterminated heredoc %s: expected a line with %s", h.Name, h.Name)}
		}
		h.Content = body.String()
		ins.Heredocs = append(ins.Heredocs, h)
	}
	return nil
}
