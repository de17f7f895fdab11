package image

import (
	"context"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DefaultGrace is how long Prune keeps unreferenced layers: a build holds the
// layers it committed but has not yet Put, and an interrupted pull keeps the
// blobs it will resume from.
const DefaultGrace = 15 * time.Minute

// PruneOptions tune Prune.
type PruneOptions struct {
	// All removes every image no container uses, not only dangling ones.
	All bool
	// InUse reports whether a container uses the image with this ID.
	InUse func(imageID v1.Hash) bool
	// Grace keeps unreferenced blobs and snapshots younger than this.
	Grace time.Duration
}

// PruneReport lists what Prune removed.
type PruneReport struct {
	Images         []*Image // images deleted, with the references they had
	Blobs          int      // blobs deleted
	Snapshots      int      // snapshots deleted
	SpaceReclaimed int64    // bytes of blobs and snapshots deleted
}

// Prune deletes dangling images (every unused image with All) and then the
// garbage: blobs and snapshots no image uses and leftovers of interrupted
// writes.
func (s *Store) Prune(ctx context.Context, options PruneOptions) (PruneReport, error) {
	unlock, err := s.lockCollect()
	if err != nil {
		return PruneReport{}, err
	}
	defer unlock()
	var report PruneReport
	if report.Images, err = s.pruneImages(options); err != nil {
		return report, err
	}
	// The content of the images just deleted goes whatever its age.
	freed, err := s.orphansOf(report.Images)
	report.Blobs, report.Snapshots, report.SpaceReclaimed = freed.blobs, freed.snapshots, freed.bytes
	if err != nil {
		return report, err
	}
	live, err := s.liveContent()
	if err != nil {
		return report, err
	}
	cutoff := time.Now().Add(-options.Grace)
	if err := s.pruneBlobs(ctx, live, cutoff, &report); err != nil {
		return report, err
	}
	if err := s.pruneSnapshots(ctx, live, cutoff, &report); err != nil {
		return report, err
	}
	return report, s.pruneTemp()
}

func (s *Store) pruneImages(options PruneOptions) ([]*Image, error) {
	images, err := s.List()
	if err != nil {
		return nil, err
	}
	var doomed []*Image
	drop := map[v1.Hash]bool{}
	for _, img := range images {
		if (len(img.Refs) > 0 && !options.All) || (options.InUse != nil && options.InUse(img.ID)) {
			continue
		}
		doomed = append(doomed, img)
		drop[img.ManifestDigest] = true
	}
	if len(doomed) == 0 {
		return nil, nil
	}
	return doomed, s.updateIndex(func(index *v1.IndexManifest) error {
		dropManifests(index, drop)
		return nil
	})
}

func (s *Store) pruneBlobs(ctx context.Context, live liveSet, cutoff time.Time, report *PruneReport) error {
	entries, err := os.ReadDir(s.blobDir())
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := v1.Hash{Algorithm: "sha256", Hex: e.Name()}
		info, err := e.Info()
		if err != nil || live.blobs[h] || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(s.blobDir(), e.Name())); err != nil {
			return err
		}
		report.Blobs++
		report.SpaceReclaimed += info.Size()
	}
	return nil
}

func (s *Store) pruneSnapshots(ctx context.Context, live liveSet, cutoff time.Time, report *PruneReport) error {
	entries, err := os.ReadDir(s.snapshots)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		if isTemp(name) || live.snapshots[name] {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		size := diskUsage(filepath.Join(s.snapshots, name))
		if err := s.removeSnapshot(name); err != nil {
			return err
		}
		report.Snapshots++
		report.SpaceReclaimed += size
	}
	return nil
}

// pruneTemp removes what interrupted writers left. The caller holds the
// collect lock, so no writer is running.
func (s *Store) pruneTemp() error {
	tmp, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return err
	}
	for _, e := range tmp {
		os.RemoveAll(filepath.Join(s.tmpDir(), e.Name()))
	}
	entries, err := os.ReadDir(s.snapshots)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case len(name) > 6 && name[:6] == ".lock-":
			if _, err := os.Stat(filepath.Join(s.snapshots, name[6:])); os.IsNotExist(err) {
				os.Remove(filepath.Join(s.snapshots, name))
			}
		case isTemp(name):
			if err := os.RemoveAll(filepath.Join(s.snapshots, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

func diskUsage(dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}
