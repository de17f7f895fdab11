package spec

import (
	"errors"
	"fmt"
	"sort"
)

// ErrNoStackFile is returned when no stack file is given and none is found
// in the working directory or its parents.
var ErrNoStackFile = errors.New("no stack file found (looked for stack.yaml, stack.yml, compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)")

// Error is one problem found in a stack file, at a position and key path.
type Error struct {
	Pos  pos
	Path string // key path: services.web.ports[0]
	Msg  string
}

// File, Line and Column say where the problem is (Line 0 when unknown).
func (e *Error) File() string { return e.Pos.file }
func (e *Error) Line() int    { return e.Pos.line }
func (e *Error) Column() int  { return e.Pos.col }

func (e *Error) Error() string {
	s := e.Pos.String()
	if e.Path != "" {
		if s != "" {
			s += ": "
		}
		s += e.Path
	}
	if s == "" {
		return e.Msg
	}
	return s + ": " + e.Msg
}

// errorList collects problems; err sorts them by position so that the
// report is the same every time.
type errorList struct {
	list []*Error
}

func (l *errorList) add(e *Error) { l.list = append(l.list, e) }

func (l *errorList) at(n *node, path, format string, args ...any) {
	e := &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Pos = n.pos
	}
	l.add(e)
}

func (l *errorList) len() int { return len(l.list) }

func (l *errorList) err() error {
	if len(l.list) == 0 {
		return nil
	}
	sort.SliceStable(l.list, func(i, j int) bool {
		a, b := l.list[i], l.list[j]
		if a.Pos.file != b.Pos.file {
			return a.Pos.file < b.Pos.file
		}
		if a.Pos.line != b.Pos.line {
			return a.Pos.line < b.Pos.line
		}
		if a.Pos.col != b.Pos.col {
			return a.Pos.col < b.Pos.col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Msg < b.Msg
	})
	errs := make([]error, 0, len(l.list))
	seen := map[string]bool{}
	for _, e := range l.list {
		if s := e.Error(); !seen[s] {
			seen[s] = true
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}
