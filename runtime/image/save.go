package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Format is an archive format of Save.
type Format int

const (
	// FormatDocker is the docker save format (manifest.json, one file per
	// layer), what every Docker version loads.
	FormatDocker Format = 1
	// FormatOCI is an OCI image layout in a tar, with a manifest.json beside
	// it so that docker load reads it too (as docker save writes since 25).
	FormatOCI Format = 2
)

func (f Format) String() string {
	switch f {
	case FormatDocker:
		return "docker"
	case FormatOCI:
		return "oci"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat reads "docker" or "oci".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "docker", "docker-archive", "":
		return FormatDocker, nil
	case "oci", "oci-archive":
		return FormatOCI, nil
	}
	return 0, fmt.Errorf("unknown archive format %q (want docker or oci)", s)
}

type savedImage struct {
	img  *Image
	refs []string // canonical tags to record
}

// Save writes the images refs name to w as an archive. A reference by name
// records that name; a reference by ID records none, as docker save does.
func (s *Store) Save(ctx context.Context, w io.Writer, refs []string, format Format) error {
	images, err := s.resolveForSave(refs)
	if err != nil {
		return err
	}
	switch format {
	case FormatDocker:
		return s.saveDocker(w, images)
	case FormatOCI:
		return s.saveOCI(ctx, w, images)
	}
	return fmt.Errorf("unknown archive format %v", format)
}

func (s *Store) resolveForSave(refs []string) ([]*savedImage, error) {
	var out []*savedImage
	byID := map[v1.Hash]*savedImage{}
	for _, ref := range refs {
		img, err := s.Get(ref)
		if err != nil {
			return nil, err
		}
		saved := byID[img.ID]
		if saved == nil {
			saved = &savedImage{img: img}
			byID[img.ID] = saved
			out = append(out, saved)
		}
		if isNameOf(img, ref) {
			canonicalRef, _ := Normalize(ref)
			if tagOf(canonicalRef) != "" {
				saved.refs = append(saved.refs, canonicalRef)
			}
		}
	}
	return out, nil
}

func (s *Store) saveDocker(w io.Writer, images []*savedImage) error {
	refToImage := map[name.Reference]v1.Image{}
	for _, saved := range images {
		view, err := s.layout.Image(saved.img.ManifestDigest)
		if err != nil {
			return err
		}
		for _, ref := range saved.refs {
			tag, err := name.NewTag(ref)
			if err != nil {
				return err
			}
			refToImage[tag] = view
		}
		if len(saved.refs) == 0 {
			// Untagged: a digest reference puts the image in without a tag.
			digest, err := name.NewDigest("untagged@" + saved.img.ManifestDigest.String())
			if err != nil {
				return err
			}
			refToImage[digest] = view
		}
	}
	return tarball.MultiRefWrite(refToImage, w)
}

// ociArchive writes an OCI layout into a tar stream.
type ociArchive struct {
	s       *Store
	tw      *tar.Writer
	written map[v1.Hash]bool
}

var archiveTime = time.Unix(0, 0)

func (s *Store) saveOCI(ctx context.Context, w io.Writer, images []*savedImage) error {
	a := &ociArchive{s: s, tw: tar.NewWriter(w), written: map[v1.Hash]bool{}}
	index := v1.IndexManifest{SchemaVersion: 2, MediaType: indexMediaType}
	var dockerManifest tarball.Manifest
	for _, saved := range images {
		if err := a.image(ctx, saved.img); err != nil {
			return err
		}
		desc, err := a.descriptor(saved.img)
		if err != nil {
			return err
		}
		entry := tarball.Descriptor{Config: blobName(saved.img.ID)}
		for _, l := range saved.img.Layers {
			entry.Layers = append(entry.Layers, blobName(l.Digest))
		}
		for _, ref := range saved.refs {
			d := desc
			d.Annotations = map[string]string{AnnotationName: ref, AnnotationRefName: tagOf(ref)}
			index.Manifests = append(index.Manifests, d)
			entry.RepoTags = append(entry.RepoTags, FamiliarString(ref))
		}
		if len(saved.refs) == 0 {
			index.Manifests = append(index.Manifests, desc)
		}
		dockerManifest = append(dockerManifest, entry)
	}
	if err := a.json("index.json", index); err != nil {
		return err
	}
	if err := a.json("manifest.json", dockerManifest); err != nil {
		return err
	}
	if err := a.file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	return a.tw.Close()
}

func blobName(h v1.Hash) string {
	return "blobs/" + h.Algorithm + "/" + h.Hex
}

func (a *ociArchive) descriptor(img *Image) (v1.Descriptor, error) {
	fi, err := os.Stat(a.s.blobPath(img.ManifestDigest))
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: img.MediaType, Digest: img.ManifestDigest, Size: fi.Size()}, nil
}

func (a *ociArchive) image(ctx context.Context, img *Image) error {
	blobs := append([]v1.Hash{img.ManifestDigest, img.ID}, layerDigests(img)...)
	for _, h := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := a.blob(h); err != nil {
			return err
		}
	}
	return nil
}

func (a *ociArchive) blob(h v1.Hash) error {
	if a.written[h] {
		return nil
	}
	a.written[h] = true
	f, err := os.Open(a.s.blobPath(h))
	if err != nil {
		return fmt.Errorf("blob %s: %w", h, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := a.tw.WriteHeader(&tar.Header{Name: blobName(h), Mode: 0o644, Size: fi.Size(), ModTime: archiveTime, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.CopyBuffer(a.tw, f, make([]byte, 1<<20))
	return err
}

func (a *ociArchive) json(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.file(name, data)
}

func (a *ociArchive) file(name string, data []byte) error {
	if err := a.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: archiveTime, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := a.tw.Write(data)
	return err
}
