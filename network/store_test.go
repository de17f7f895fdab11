package network

import "testing"

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"bridge": true, "demo_default": true, "a.b-c_d": true, "0net": true, "N": true,
		"": false, "_x": false, ".x": false, "-x": false, "a b": false, "a/b": false, "é": false, "a:b": false,
	} {
		if got := validName(name); got != want {
			t.Errorf("validName(%q) = %v, want %v", name, got, want)
		}
	}
}
