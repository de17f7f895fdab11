package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/runtime/container"
)

// imagesInUse returns the test "a container uses this image" that image rm
// and image prune honour: the images every container was created from,
// whatever its state, as Docker counts them.
func imagesInUse(g *globalOptions) (func(v1.Hash) bool, error) {
	ids, err := containerImageIDs(g)
	if err != nil {
		return nil, err
	}
	return func(id v1.Hash) bool {
		return ids[id.String()] || ids[id.Hex]
	}, nil
}

// containerImageIDs reads the image ID of every container's stored
// configuration (root/containers/ID/config.json).
func containerImageIDs(g *globalOptions) (map[string]bool, error) {
	configs, err := filepath.Glob(filepath.Join(g.Root, "containers", "*", "config.json"))
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, path := range configs {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		var c container.Config
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, err
		}
		if c.ImageID != "" {
			ids[c.ImageID] = true
		}
	}
	return ids, nil
}
