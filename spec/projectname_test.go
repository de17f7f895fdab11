package spec

import (
	"regexp"
	"strings"
	"testing"
)

// TestProjectNameRules checks the hand-written project name rules against
// Compose's regular expressions.
func TestProjectNameRules(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	clean := regexp.MustCompile(`[^a-z0-9_-]+`)
	for _, s := range []string{"", "a", "demo", "my-app_2", "_a", "-a", "9x", "A", "aB", "a b", "a.b", "é", "ab\n", "my App.v2", "__x--", "Ünïcode-Δir", "a/b"} {
		if got, want := isProjectName(s), valid.MatchString(s); got != want {
			t.Errorf("isProjectName(%q) = %v, want %v", s, got, want)
		}
		want := strings.TrimLeft(clean.ReplaceAllString(strings.ToLower(s), ""), "_-")
		if got := NormalizeProjectName(s); got != want {
			t.Errorf("NormalizeProjectName(%q) = %q, want %q", s, got, want)
		}
	}
}
