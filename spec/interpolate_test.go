package spec

import (
	"sort"
	"strings"
	"testing"
)

func TestSubstitute(t *testing.T) {
	env := map[string]string{"SET": "value", "EMPTY": "", "NAME": "SET"}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "$SET", want: "value"},
		{in: "${SET}", want: "value"},
		{in: "a-${SET}-b", want: "a-value-b"},
		{in: "$SET.txt", want: "value.txt"},
		{in: "$$SET", want: "$SET"},
		{in: "$$", want: "$"},
		{in: "cost: 5$", want: "cost: 5$"},
		{in: "$ 1", want: "$ 1"},
		{in: "${UNSET}", want: ""},
		{in: "${UNSET:-default}", want: "default"},
		{in: "${EMPTY:-default}", want: "default"},
		{in: "${EMPTY-default}", want: ""},
		{in: "${UNSET-default}", want: "default"},
		{in: "${SET:-default}", want: "value"},
		{in: "${SET:+alt}", want: "alt"},
		{in: "${EMPTY:+alt}", want: ""},
		{in: "${EMPTY+alt}", want: "alt"},
		{in: "${UNSET+alt}", want: ""},
		{in: "${UNSET:-${SET}}", want: "value"},
		{in: "${UNSET:-${ALSO_UNSET:-deep}}", want: "deep"},
		{in: "${UNSET:-a ${SET} b}", want: "a value b"},
		{in: "${SET:?must be set}", want: "value"},
		{in: "${EMPTY?must be set}", want: ""},
		{in: "${UNSET:?must be set}", err: "required variable UNSET is missing a value: must be set"},
		{in: "${EMPTY:?}", err: "required variable EMPTY is missing a value"},
		{in: "${UNSET?need ${SET}}", err: "required variable UNSET is missing a value: need value"},
		{in: "${SET", err: `invalid interpolation format in "${SET": missing closing brace`},
		{in: "${-x}", err: "invalid interpolation format for ${-x}: expected a variable name"},
		{in: "${SET:x}", err: "invalid interpolation format for ${SET:x}: expected :-, -, :?, ?, :+ or + after the name"},
		{in: "${1A}", err: "invalid interpolation format for ${1A}: expected a variable name"},
	}
	for _, tt := range tests {
		got, err := substitute(tt.in, lookup, nil)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("substitute(%q): got error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("substitute(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSubstituteReportsUnset(t *testing.T) {
	var unset []string
	lookup := func(string) (string, bool) { return "", false }
	if _, err := substitute("$A ${B} ${C:-x} ${D-y} $A", lookup, func(name string) { unset = append(unset, name) }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(unset)
	if got, want := len(unset), 3; got != want || unset[0] != "A" || unset[2] != "B" {
		t.Errorf("unset = %v, want [A A B]", unset)
	}
}

func TestInterpolationSources(t *testing.T) {
	// The process environment beats .env; $$ survives as $.
	p, errText := loadStringWithDotenv(t,
		"services:\n  web:\n    image: ${IMAGE}:${TAG:-latest}\n    command: echo $$HOME ${GREETING}\n",
		"IMAGE=fromdotenv\nGREETING=\"hello world\"\nTAG=dotenv\n",
		map[string]string{"IMAGE": "fromenv"})
	if errText != "" {
		t.Fatal(errText)
	}
	web := p.Services["web"]
	if got, want := web.Image, "fromenv:dotenv"; got != want {
		t.Errorf("image = %q, want %q", got, want)
	}
	if got, want := []string(web.Command), []string{"echo", "$HOME", "hello", "world"}; !equalStrings(got, want) {
		t.Errorf("command = %q, want %q", got, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSubstituteNestingLimit(t *testing.T) {
	deep := strings.Repeat("${A:-", 40) + "x" + strings.Repeat("}", 40)
	_, err := substitute(deep, func(string) (string, bool) { return "", false }, nil)
	if err == nil || !strings.Contains(err.Error(), "references nested more than 32 deep") {
		t.Errorf("40 levels: %v, want the nesting error", err)
	}
	ok := strings.Repeat("${A:-", 30) + "x" + strings.Repeat("}", 30)
	if got, err := substitute(ok, func(string) (string, bool) { return "", false }, nil); err != nil || got != "x" {
		t.Errorf("30 levels = %q, %v; want x", got, err)
	}
}
