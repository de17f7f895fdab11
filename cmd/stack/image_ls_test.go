package main

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/runtime/image"
)

func TestWithoutIntermediates(t *testing.T) {
	layer := func(n byte) v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: string(rune('a'+n)) + "0"} }
	step := func(by string, empty bool) v1.History { return v1.History{CreatedBy: by, EmptyLayer: empty} }
	img := func(id string, refs []string, diffs []v1.Hash, history ...v1.History) *image.Image {
		return &image.Image{ID: v1.Hash{Algorithm: "sha256", Hex: id}, Refs: refs, DiffIDs: diffs,
			Config: &v1.ConfigFile{History: history}}
	}
	base := img("base", []string{"docker.io/library/base:latest"}, []v1.Hash{layer(0)}, step("import", false))
	step1 := img("step1", nil, []v1.Hash{layer(0), layer(1)}, step("import", false), step("COPY x", false))
	step2 := img("step2", nil, []v1.Hash{layer(0), layer(1)}, step("import", false), step("COPY x", false), step("ENV A=1", true))
	final := img("final", []string{"docker.io/library/app:latest"}, []v1.Hash{layer(0), layer(1)},
		step("import", false), step("COPY x", false), step("ENV A=1", true), step("CMD sh", true))
	dangling := img("dangling", nil, []v1.Hash{layer(0), layer(2)}, step("import", false), step("COPY y", false))

	got := withoutIntermediates([]*image.Image{base, step1, step2, final, dangling})
	var ids []string
	for _, i := range got {
		ids = append(ids, i.ID.Hex)
	}
	want := []string{"base", "final", "dangling"}
	if len(ids) != len(want) {
		t.Fatalf("withoutIntermediates kept %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("withoutIntermediates kept %v, want %v", ids, want)
		}
	}
}
