package main

import (
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/runtime/image"
)

// openImageStore opens the image store under --root.
func openImageStore(g *globalOptions) (*image.Store, error) {
	return image.Open(g.Root)
}

// imageSize is Docker's units.HumanSizeWithPrecision(size, 3): decimal
// units, three significant digits ("4.26MB").
func imageSize(size int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	value, i := float64(size), 0
	for value >= 1000 && i < len(units)-1 {
		value /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", value, units[i])
}

// imageSince is the CREATED column: "5 minutes ago".
func imageSince(t, now time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return humanDuration(now.Sub(t)) + " ago"
}

// imageRepoDigests is what Docker shows as RepoDigests: each repository of
// the image with its manifest digest.
func imageRepoDigests(img *image.Image) []string {
	seen := map[string]bool{}
	var out []string
	for _, ref := range img.Refs {
		repo, _ := image.Familiar(ref)
		if d := repo + "@" + img.ManifestDigest.String(); !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

func imageTags(img *image.Image) []string {
	out := []string{}
	for _, ref := range img.Refs {
		if _, tag := image.Familiar(ref); tag != "<none>" {
			out = append(out, image.FamiliarString(ref))
		}
	}
	return out
}

// shortImageID is the IMAGE ID column, whole with --no-trunc.
func shortImageID(id v1.Hash, noTrunc bool) string {
	if noTrunc {
		return id.String()
	}
	return id.Hex[:12]
}
