package warmstart

import "testing"

func TestDisabled(t *testing.T) {
	for godebug, want := range map[string]bool{
		"":                             false,
		"disablethp=1":                 true,
		"disablethp=0":                 false,
		"gctrace=1,disablethp=1":       true,
		"disablethp=1,gctrace=1":       true,
		"madvdontneed=1,disablethp=10": false,
	} {
		if got := disabled(godebug); got != want {
			t.Errorf("disabled(%q) = %v, want %v", godebug, got, want)
		}
	}
}
