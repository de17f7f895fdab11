package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"stack/runtime/image"
)

// Pull fetches ref (normalized the Docker way; a tag or a digest; a
// multi-platform index resolves to options.Platform) into the store and
// returns the stored image. Layers the store already holds are not
// fetched, so a pull that was interrupted resumes; the image becomes
// visible only once all of it is stored and verified.
func Pull(ctx context.Context, store *image.Store, ref string, options Options) (*image.Image, error) {
	options, err := options.withHosts()
	if err != nil {
		return nil, err
	}
	canonical, parsed, err := parse("pull", ref, options.Hosts)
	if err != nil {
		return nil, err
	}
	t := newTarget("pull", canonical, parsed)
	t.authed = options.authenticated(parsed.Context())
	t.platform = platformString(options.platform())
	p := newProgress(options.Progress)
	desc, err := remote.Get(parsed, options.remote(ctx)...)
	if err != nil {
		return nil, t.whichNotFound(ctx, t.classify(err), parsed.Context(), options)
	}
	p.printf("%s: Pulling from %s", t.id, parsed.Context().RepositoryStr())
	remoteImage, err := desc.Image()
	if err != nil {
		return nil, t.classify(err)
	}
	digest, err := remoteImage.Digest()
	if err != nil {
		return nil, t.classify(err)
	}
	if current, err := store.Get(canonical); err == nil && current.ManifestDigest == digest {
		p.printf("Digest: %s", desc.Digest)
		p.printf("Status: Image is up to date for %s", t.ref)
		return current, nil
	}
	tracked, err := track(remoteImage, p, t.registry)
	if err != nil {
		return nil, t.classify(err)
	}
	stored, err := store.Put(ctx, tracked, canonical)
	tracked.finish(err == nil)
	if err != nil {
		if errors.Is(err, image.ErrDigestMismatch) {
			return nil, &Error{Op: "pull", Ref: t.ref, Kind: ErrDigestMismatch, Detail: "content from " + t.registry + " does not match its digest", Err: err}
		}
		return nil, t.classify(err)
	}
	p.printf("Digest: %s", desc.Digest)
	p.printf("Status: Downloaded newer image for %s", t.ref)
	return stored, nil
}

// whichNotFound tells an unknown repository from an unknown tag: some
// registries answer MANIFEST_UNKNOWN for both, but only a known repository
// has a tag list.
func (t target) whichNotFound(ctx context.Context, err error, repo name.Repository, options Options) error {
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrManifestNotFound {
		return err
	}
	_, listErr := remote.List(repo, options.remote(ctx)...)
	var terr *transport.Error
	if errors.As(listErr, &terr) && terr.StatusCode == http.StatusNotFound {
		return &Error{Op: t.op, Ref: t.ref, Kind: ErrRepositoryNotFound, Detail: fmt.Sprintf("repository %s not found", t.repo)}
	}
	return err
}

// trackedImage shows the download of each layer the store reads and checks
// its digest as the bytes go by, so that a corrupt blob is named.
type trackedImage struct {
	v1.Image
	p        *progress
	registry string
	mu       sync.Mutex
	layers   []v1.Descriptor
	read     map[v1.Hash]bool
}

func track(img v1.Image, p *progress, registry string) (*trackedImage, error) {
	manifest, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	t := &trackedImage{Image: img, p: p, registry: registry, layers: manifest.Layers, read: map[v1.Hash]bool{}}
	if p != nil && p.tty {
		for _, l := range manifest.Layers {
			p.set(shortID(l.Digest.String()), statusWaiting, l.Size)
		}
	}
	return t, nil
}

func (t *trackedImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := t.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return &trackedLayer{Layer: l, image: t}, nil
}

func (t *trackedImage) Layers() ([]v1.Layer, error) {
	layers, err := t.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(layers))
	for i, l := range layers {
		out[i] = &trackedLayer{Layer: l, image: t}
	}
	return out, nil
}

// finish marks the layers the store had as already there and, once the
// store holds the whole image, the downloaded ones as complete.
func (t *trackedImage) finish(stored bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.p.finish()
	if !stored {
		return
	}
	for _, l := range t.layers {
		status := statusPulled
		if !t.read[l.Digest] {
			status = statusExists
		}
		t.p.set(shortID(l.Digest.String()), status, l.Size)
	}
}

type trackedLayer struct {
	v1.Layer
	image *trackedImage
}

func (l *trackedLayer) Compressed() (io.ReadCloser, error) {
	digest, err := l.Digest()
	if err != nil {
		return nil, err
	}
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	id := shortID(digest.String())
	l.image.mu.Lock()
	l.image.read[digest] = true
	l.image.mu.Unlock()
	l.image.p.set(id, statusDownloading, size)
	return &verifyingReader{
		ReadCloser: &countingReader{ReadCloser: rc, p: l.image.p, id: id},
		want:       digest, size: size, hash: sha256.New(),
		registry: l.image.registry,
		done:     func() { l.image.p.set(id, statusDownloaded, size) },
	}, nil
}

// verifyingReader hashes a blob as it is read and names the blob when its
// content does not match the digest.
type verifyingReader struct {
	io.ReadCloser
	want     v1.Hash
	size     int64
	read     int64
	hash     hash.Hash
	registry string
	done     func()
}

func (v *verifyingReader) Read(b []byte) (int, error) {
	n, err := v.ReadCloser.Read(b)
	v.hash.Write(b[:n])
	v.read += int64(n)
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		if got := v.sum(); got != v.want.Hex || v.read != v.size {
			return n, v.mismatch(got)
		}
		v.done()
		return n, err
	case isDigestMismatch(err):
		return n, v.mismatch(v.sum())
	}
	return n, err
}

func (v *verifyingReader) sum() string { return hex.EncodeToString(v.hash.Sum(nil)) }

func (v *verifyingReader) mismatch(got string) error {
	return &DigestMismatchError{Registry: v.registry, Want: v.want.String(), Got: v.want.Algorithm + ":" + got}
}
