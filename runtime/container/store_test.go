package container

import "testing"

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{{"web", true}, {"web_1.a-b", true}, {"1", true}, {"", false}, {"_web", false}, {"-x", false}, {"a/b", false}, {"a b", false}, {"é", false}} {
		if got := validName(tc.name); got != tc.want {
			t.Errorf("validName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseRestartPolicy(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    RestartPolicy
		wantErr bool
	}{
		{"", RestartPolicy{Name: "no"}, false},
		{"always", RestartPolicy{Name: "always"}, false},
		{"on-failure:3", RestartPolicy{Name: "on-failure", MaxRetries: 3}, false},
		{"on-failure", RestartPolicy{Name: "on-failure"}, false},
		{"always:3", RestartPolicy{}, true},
		{"on-failure:x", RestartPolicy{}, true},
		{"sometimes", RestartPolicy{}, true},
	} {
		got, err := ParseRestartPolicy(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseRestartPolicy(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"A=1", "B=2"}, []string{"B=3", "C=4"})
	want := []string{"A=1", "B=3", "C=4"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

func TestEffectiveCaps(t *testing.T) {
	got, err := EffectiveCaps(Security{CapAdd: []string{"net_admin"}, CapDrop: []string{"CAP_CHOWN", "KILL"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "CAP_AUDIT_WRITE CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SETFCAP CAP_SETGID CAP_SETPCAP CAP_SETUID CAP_SYS_CHROOT"
	if s := join(got); s != want {
		t.Errorf("got %s\nwant %s", s, want)
	}
	if _, err := EffectiveCaps(Security{CapAdd: []string{"CAP_FLY"}}); err == nil {
		t.Error("an unknown capability was accepted")
	}
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
