package build

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/runtime/container"
	"stack/runtime/image"
)

// StoreImages gives the builder the runtime's image store.
type StoreImages struct{ Store *image.Store }

// Image implements Images.
func (s StoreImages) Image(_ context.Context, ref string) (v1.Image, error) {
	return s.Store.V1(ref)
}

// Put implements Images. Tags that already name img are left alone, so a
// fully cached rebuild does not rewrite the store's index.
func (s StoreImages) Put(ctx context.Context, img v1.Image, refs ...string) error {
	if len(refs) > 0 && s.tagged(img, refs) {
		return nil
	}
	_, err := s.Store.Put(ctx, img, refs...)
	return err
}

func (s StoreImages) tagged(img v1.Image, refs []string) bool {
	id, err := img.ConfigName()
	if err != nil {
		return false
	}
	for _, ref := range refs {
		if got, err := s.Store.Get(ref); err != nil || got.ID != id {
			return false
		}
	}
	return true
}

// Snapshots implements Snapshotter.
func (s StoreImages) Snapshots(diffIDs []v1.Hash) ([]string, error) {
	chain := image.ChainIDs(diffIDs)
	out := make([]string, 0, len(chain))
	for i := len(chain) - 1; i >= 0; i-- {
		dir := s.Store.SnapshotPath(chain[i])
		if _, err := os.Stat(dir); err != nil {
			return nil, err
		}
		out = append(out, dir)
	}
	return out, nil
}

// ContainerRunner runs RUN steps in containers of the runtime, on overlay
// root filesystems made of the store's snapshots. The upper directory of a
// step becomes the snapshot of its layer, so the next step mounts it as is.
type ContainerRunner struct {
	Store *image.Store
	Dir   string // scratch directories, on the same file system as the store
}

// Run implements Runner.
func (c ContainerRunner) Run(ctx context.Context, base v1.Image, step RunStep) (v1.Layer, int, error) {
	id, err := base.ConfigName()
	if err != nil {
		return nil, -1, err
	}
	img, err := c.Store.Get(id.String())
	if err != nil {
		return nil, -1, err
	}
	dir, err := os.MkdirTemp(c.Dir, "run-")
	if err != nil {
		return nil, -1, err
	}
	defer os.RemoveAll(dir)
	m, err := c.Store.Rootfs(ctx, img, dir)
	if err != nil {
		return nil, -1, err
	}
	cfg := &container.Config{
		ID:       step.ID,
		Name:     "build-" + step.ID,
		ImageID:  id.String(),
		Hostname: step.ID,
		Rootfs:   container.Rootfs{Lower: m.Lower, Upper: m.Upper, Work: m.Work},
		Process:  container.Process{Args: step.Args, Env: step.Env, Cwd: step.WorkDir, User: step.User},
		Network:  container.NetworkConfig{Mode: step.Network},
	}
	// Docker mounts a fresh volume at each of the image's volumes: the
	// mount point is part of the layer, what is written below it is not.
	for _, v := range step.Volumes {
		cfg.Mounts = append(cfg.Mounts, container.Mount{Type: "tmpfs", Target: path.Join("/", v)})
	}
	code, err := container.RunAttached(ctx, cfg, nil, step.Stdout, step.Stderr)
	if err != nil {
		return nil, -1, fmt.Errorf("running the step: %w", err)
	}
	if code != 0 {
		return nil, code, nil
	}
	if err := dropMountPoints(m); err != nil {
		return nil, -1, err
	}
	if entries, err := os.ReadDir(m.Upper); err == nil && len(entries) == 0 {
		return nil, 0, nil // no file changed: no layer
	}
	var parent v1.Hash
	if n := len(img.ChainIDs); n > 0 {
		parent = img.ChainIDs[n-1]
	}
	layer, err := c.Store.CommitLayer(ctx, m.Upper, parent)
	return layer, 0, err
}

// mountPoints are what the runtime creates in a root filesystem to mount
// over, files before directories, deepest first.
var mountPoints = []string{
	"etc/hostname", "etc/hosts", "etc/resolv.conf",
	"dev/pts", "dev/shm", "dev/mqueue", "dev", "proc", "sys", "etc",
}

// dropMountPoints removes from the upper directory the empty files and
// directories the runtime made as mount points where the image had none,
// so that they do not end up in the layer: Docker's layers do not have
// them either. What a RUN writes to /etc/hosts goes to the mounted file,
// never to the root filesystem.
func dropMountPoints(m image.Mount) error {
	for _, rel := range mountPoints {
		p := filepath.Join(m.Upper, rel)
		fi, err := os.Lstat(p)
		if err != nil || inLowers(m.Lower, rel) {
			continue
		}
		switch {
		case fi.Mode().IsRegular() && fi.Size() == 0:
		case fi.IsDir():
			if entries, err := os.ReadDir(p); err != nil || len(entries) > 0 {
				continue
			}
		default:
			continue
		}
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}

func inLowers(lowers []string, rel string) bool {
	for _, l := range lowers {
		if _, err := os.Lstat(filepath.Join(l, rel)); err == nil {
			return true
		}
	}
	return false
}
