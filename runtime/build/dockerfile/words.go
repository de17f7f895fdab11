package dockerfile

import (
	"fmt"
	"strings"
	"unicode"
)

// Words splits s at unquoted white space, keeping quotes and escapes in
// the words so that the variable expansion that follows still sees them.
func Words(s string, escape rune) []string {
	var (
		words []string
		word  strings.Builder
		quote rune
		inEsc bool
		any   bool
	)
	for _, r := range s {
		switch {
		case inEsc:
			inEsc = false
		case r == escape:
			inEsc = true
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case unicode.IsSpace(r):
			if any {
				words = append(words, word.String())
				word.Reset()
				any = false
			}
			continue
		}
		word.WriteRune(r)
		any = true
	}
	if any {
		words = append(words, word.String())
	}
	return words
}

// KeyValue is one name=value pair of ENV, LABEL or ARG, unexpanded.
type KeyValue struct {
	Key      string
	Value    string
	HasValue bool // ARG name without =value has none
}

// KeyValues parses the arguments of ENV and LABEL: name=value pairs, or the
// legacy "name value" form where the value is the rest of the line.
func KeyValues(args string, escape rune, command string) ([]KeyValue, error) {
	words := Words(args, escape)
	if len(words) == 0 {
		return nil, fmt.Errorf("%s requires at least one argument", strings.ToUpper(command))
	}
	if !strings.Contains(words[0], "=") {
		if len(words) < 2 {
			return nil, fmt.Errorf("%s %s: expected name=value or name value", strings.ToUpper(command), words[0])
		}
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(args), words[0]))
		return []KeyValue{{Key: words[0], Value: rest, HasValue: true}}, nil
	}
	out := make([]KeyValue, 0, len(words))
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s: %q: expected name=value", strings.ToUpper(command), w)
		}
		out = append(out, KeyValue{Key: k, Value: v, HasValue: true})
	}
	return out, nil
}
