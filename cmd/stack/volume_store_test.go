package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"
)

func TestVolumeStore(t *testing.T) {
	g := &globalOptions{Root: t.TempDir(), RunRoot: t.TempDir()}
	s := openVolumes(g)
	v, err := s.create("demo_data", "", map[string]string{"a": "b"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.Mountpoint, filepath.Join(g.Root, "volumes", "demo_data", "_data"); got != want {
		t.Errorf("mountpoint %q, want %q", got, want)
	}
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.create("demo_data", "", nil, nil); !errors.Is(err, errVolumeExists) {
		t.Errorf("second create: %v, want %v", err, errVolumeExists)
	}
	anon, err := s.create("", "local", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := anon.Labels[labelAnonymous]; !ok || len(anon.Name) != 64 {
		t.Errorf("anonymous volume %+v", anon)
	}
	for _, bad := range []string{"-x", "a/b", "x"} {
		if _, err := s.create(bad, "", nil, nil); err == nil {
			t.Errorf("create %q succeeded, want a name error", bad)
		}
	}
	if _, err := s.create("y1", "nfs", nil, nil); err == nil {
		t.Error("create with driver nfs succeeded")
	}
	list, err := s.list()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range list {
		names = append(names, v.Name)
	}
	want := []string{anon.Name, "demo_data"}
	sort.Strings(want)
	if !slices.Equal(names, want) {
		t.Errorf("list = %v, want %v (sorted)", names, want)
	}
	got, err := s.get("demo_data")
	if err != nil || got.Labels["a"] != "b" {
		t.Errorf("get = %+v, %v", got, err)
	}
	if err := s.remove("demo_data"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.get("demo_data"); !errors.Is(err, errVolumeNotFound) {
		t.Errorf("get after remove: %v, want %v", err, errVolumeNotFound)
	}
	if err := s.remove("demo_data"); !errors.Is(err, errVolumeNotFound) {
		t.Errorf("second remove: %v, want %v", err, errVolumeNotFound)
	}
}

func TestVolumeBindDevice(t *testing.T) {
	g := &globalOptions{Root: t.TempDir()}
	dev := t.TempDir()
	v, err := openVolumes(g).create("bound", "", nil, map[string]string{"type": "none", "o": "bind", "device": dev})
	if err != nil {
		t.Fatal(err)
	}
	if v.Mountpoint != dev {
		t.Errorf("mountpoint %q, want %q", v.Mountpoint, dev)
	}
	if _, err := openVolumes(g).create("nobind", "", nil, map[string]string{"device": dev}); err == nil {
		t.Error("device without o=bind accepted")
	}
}

func TestProjectLockSerializes(t *testing.T) {
	g := &globalOptions{RunRoot: t.TempDir()}
	unlock, err := lockProject(context.Background(), g, "demo")
	if err != nil {
		t.Fatal(err)
	}
	other, err := lockProject(context.Background(), g, "other")
	if err != nil {
		t.Fatalf("a lock on another project waited: %v", err)
	}
	other()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := lockProject(ctx, g, "demo"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: %v, want it to wait until the deadline", err)
	}
	unlock()
	again, err := lockProject(context.Background(), g, "demo")
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}
