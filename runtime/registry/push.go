package registry

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"stack/runtime/image"
)

// Pushed is what a push left in the registry.
type Pushed struct {
	Ref      string  // canonical reference pushed
	Digest   v1.Hash // of the manifest
	Size     int64   // of the manifest
	Uploaded int     // layers sent
	Existing int     // layers the registry already had
}

// Push sends the image the store knows as ref to the registry ref names.
// Layers the registry already has are not sent again.
func Push(ctx context.Context, store *image.Store, ref string, options Options) (*Pushed, error) {
	options, err := options.withHosts()
	if err != nil {
		return nil, err
	}
	canonical, parsed, err := parse("push", ref, options.Hosts)
	if err != nil {
		return nil, err
	}
	t := newTarget("push", canonical, parsed)
	t.authed = options.authenticated(parsed.Context())
	local, err := store.V1(canonical)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", t.ref, err)
	}
	p := newProgress(options.Progress)
	repository, _ := image.Familiar(canonical)
	p.printf("The push refers to repository [%s]", repository)
	dir, err := os.MkdirTemp("", "stack-push-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	c := &compressor{dir: dir, sums: blobsums(options.BlobsumDir), p: p, inTarget: func(d v1.Descriptor) bool {
		return blobExists(ctx, parsed.Context(), d, options)
	}}
	img, err := c.compressLayers(ctx, local)
	if err != nil {
		return nil, fmt.Errorf("push %s: compress layers: %w", t.ref, err)
	}
	pusher, err := remote.NewPusher(options.remote(ctx)...)
	if err != nil {
		return nil, t.classify(err)
	}
	result := &Pushed{Ref: canonical}
	sources := mountSources(store, parsed.Context(), options.Hosts)
	err = pushBlobs(ctx, pusher, parsed.Context(), img, sources, p, result)
	if err == nil {
		err = pusher.Push(ctx, parsed, img) // the config and the manifest
	}
	p.finish()
	if err != nil {
		return nil, t.classify(err)
	}
	if result.Digest, err = img.Digest(); err != nil {
		return nil, err
	}
	if result.Size, err = img.Size(); err != nil {
		return nil, err
	}
	p.printf("%s: digest: %s size: %d", t.id, result.Digest, result.Size)
	return result, nil
}

// pushBlobs uploads the layers, top first as Docker lists them, and the
// config. A layer the client never reads was already in the registry.
func pushBlobs(ctx context.Context, pusher *remote.Pusher, repo name.Repository, img v1.Image, sources map[v1.Hash]name.Reference, p *progress, result *Pushed) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var uploaded, existing atomic.Int32
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelTransfers)
	for i := len(layers) - 1; i >= 0; i-- {
		layer := layers[i]
		digest, err := layer.Digest()
		if err != nil {
			return err
		}
		size, err := layer.Size()
		if err != nil {
			return err
		}
		id := shortID(digest.String())
		if p != nil && p.tty {
			p.set(id, statusPreparing, size)
		}
		g.Go(func() error {
			counted := &uploadLayer{Layer: layer, p: p, id: id, size: size}
			var upload v1.Layer = counted
			if from, ok := sources[digest]; ok {
				upload = &remote.MountableLayer{Layer: counted, Reference: from}
			}
			if err := pusher.Upload(ctx, repo, upload); err != nil {
				return err
			}
			if counted.opened.Load() {
				uploaded.Add(1)
				p.set(id, statusPushed, size)
			} else {
				existing.Add(1)
				p.set(id, statusSkipped, size)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	result.Uploaded, result.Existing = int(uploaded.Load()), int(existing.Load())
	return nil
}

// blobExists asks the registry whether repo holds the blob d.
func blobExists(ctx context.Context, repo name.Repository, d v1.Descriptor, options Options) bool {
	l, err := remote.Layer(repo.Digest(d.Digest.String()), options.remote(ctx)...)
	if err != nil {
		return false
	}
	exists, err := partial.Exists(l)
	return err == nil && exists
}

// mountSources finds, for each layer of the store's images, another
// repository of the target's registry that the store's references say holds
// it, so that the registry can mount the blob from there instead of
// receiving it again. A wrong guess costs one request: the registry then
// starts an ordinary upload.
func mountSources(store *image.Store, target name.Repository, hosts *Hosts) map[v1.Hash]name.Reference {
	images, err := store.List()
	if err != nil {
		return nil
	}
	sources := map[v1.Hash]name.Reference{}
	for _, img := range images {
		for _, ref := range img.Refs {
			_, parsed, err := parse("push", ref, hosts)
			if err != nil || parsed.Context().RegistryStr() != target.RegistryStr() || parsed.Context().RepositoryStr() == target.RepositoryStr() {
				continue
			}
			for _, l := range img.Layers {
				if _, ok := sources[l.Digest]; !ok {
					sources[l.Digest] = parsed
				}
			}
		}
	}
	return sources
}

// uploadLayer shows the upload of a layer as the client reads it.
type uploadLayer struct {
	v1.Layer
	p      *progress
	id     string
	size   int64
	opened atomic.Bool
}

func (l *uploadLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	l.opened.Store(true)
	l.p.set(l.id, statusPushing, l.size)
	return &countingReader{ReadCloser: rc, p: l.p, id: l.id}, nil
}
