package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

func TestRename(t *testing.T) {
	s, _ := testStore(t)
	cfg := testConfig(t, "true")
	cfg.Name = "old"
	c, err := s.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	other := testConfig(t, "true")
	other.Name = "taken"
	if _, err := s.Create(other); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref, name string
		wantErr   error // nil: any error will do when wantFail
		wantFail  bool
	}{
		{"old", "taken", ErrNameInUse, true},
		{"old", "old", nil, true},
		{"old", "bad name", nil, true},
		{"missing", "fresh", ErrNotFound, true},
	} {
		err := s.Rename(tc.ref, tc.name)
		if tc.wantFail && err == nil {
			t.Errorf("Rename(%q, %q) succeeded, want an error", tc.ref, tc.name)
		}
		if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
			t.Errorf("Rename(%q, %q) = %v, want %v", tc.ref, tc.name, err, tc.wantErr)
		}
	}
	if err := s.Rename("old", "/new"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("new")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Name != "new" {
		t.Errorf("Get(new) = %s %q, want %s %q", got.ID, got.Name, c.ID, "new")
	}
	if _, err := s.Get("old"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(old) after the rename = %v, want %v", err, ErrNotFound)
	}
	// The old name is free again.
	again := testConfig(t, "true")
	again.Name = "old"
	if _, err := s.Create(again); err != nil {
		t.Errorf("create under the released name: %v", err)
	}
}

func TestRenameRunning(t *testing.T) {
	s, opts := testStore(t)
	cfg := testConfig(t, "sleep", "60")
	cfg.Name = "runner"
	if _, err := s.Create(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(context.Background(), "runner", opts); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename("runner", "walker"); err != nil {
		t.Fatal(err)
	}
	c, err := s.Get("walker")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Running() {
		t.Fatalf("renamed container is %s, want running", c.State.Status)
	}
	// The monitor still answers under the new name.
	if err := s.Stop(context.Background(), "walker", "", 0); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Get("walker"); c.Running() {
		t.Errorf("stop by the new name left it %s", c.State.Status)
	}
}

// TestRenameRace renames several containers to one name while creates
// compete for it too: exactly one wins, and the name leads to it.
func TestRenameRace(t *testing.T) {
	s, _ := testStore(t)
	const n = 6
	for i := range n {
		cfg := testConfig(t, "true")
		cfg.Name = fmt.Sprintf("r%d", i)
		if _, err := s.Create(cfg); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() { defer wg.Done(); errs[i] = s.Rename(fmt.Sprintf("r%d", i), "prize") }()
		go func() {
			defer wg.Done()
			cfg := testConfig(t, "true")
			cfg.Name = "prize"
			_, errs[n+i] = s.Create(cfg)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, ErrNameInUse):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners for one name, want 1", wins)
	}
	c, err := s.Get("prize")
	if err != nil || c.Name != "prize" {
		t.Fatalf("Get(prize) = %v, %v", c, err)
	}
	all, _ := s.List()
	named := 0
	for _, c := range all {
		if c.Name == "prize" {
			named++
		}
	}
	if named != 1 {
		t.Errorf("%d containers record the name prize, want 1", named)
	}
	if _, err := os.Readlink(s.namePath("prize")); err != nil {
		t.Error(err)
	}
}
