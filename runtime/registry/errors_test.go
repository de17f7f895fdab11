package registry

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"stack/runtime/image"
	"stack/runtime/registry/registrytest"
)

// staticKeychain offers the same credentials for every registry.
type staticKeychain authn.AuthConfig

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig(k)), nil
}

func TestPullErrors(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.Start(t)
	authSrv := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	store := newStore(t)
	img := busybox(t)
	if _, err := store.Put(ctx, img, srv.Addr+"/app:v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, store, srv.Addr+"/app:v1", anonymous); err != nil {
		t.Fatal(err)
	}
	closed := closedAddr(t)
	silent := silentServer(t)
	for _, tc := range []struct {
		name    string
		ref     string
		options Options
		kind    error
		message string
	}{
		{"unknown tag", srv.Addr + "/app:nope", anonymous, ErrManifestNotFound, "tag nope not found in " + srv.Addr + "/app"},
		{"unknown digest", srv.Addr + "/app@sha256:" + strings.Repeat("ab", 32), anonymous, ErrManifestNotFound, "digest sha256:abab"},
		{"unknown repository", srv.Addr + "/nosuch:v1", anonymous, ErrRepositoryNotFound, "repository " + srv.Addr + "/nosuch not found"},
		{"refused", closed + "/app:v1", anonymous, ErrUnreachable, "registry " + closed + " is unreachable"},
		{"no answer", silent + "/app:v1", anonymous, ErrUnreachable, "registry " + silent + " is unreachable: no answer within 5s"},
		{"auth required", authSrv.Addr + "/app:v1", anonymous, ErrAuthRequired, "registry " + authSrv.Addr + " requires authentication"},
		{"bad credentials", authSrv.Addr + "/app:v1", Options{Keychain: staticKeychain{Username: "alice", Password: "wrong"}}, ErrBadCredentials, "registry " + authSrv.Addr + " rejected the credentials"},
		{"invalid reference", "Bad//Ref", anonymous, ErrInvalidReference, "pull Bad//Ref: want [registry/]repository[:tag|@digest]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Pull(ctx, newStore(t), tc.ref, tc.options)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("pull %s: error %v, want kind %v", tc.ref, err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("pull %s: error %q, want it to contain %q", tc.ref, err, tc.message)
			}
		})
	}
}

func TestPullDetectsCorruptBlob(t *testing.T) {
	ctx := context.Background()
	srv := registrytest.Start(t)
	store := newStore(t)
	ref := srv.Addr + "/app:v1"
	img := busybox(t, map[string]string{"etc/motd": "hello\n"})
	if _, err := store.Put(ctx, img, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, store, ref, anonymous); err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	digest, err := layers[1].Digest()
	if err != nil {
		t.Fatal(err)
	}
	// Same length, other bytes: only the digest can tell.
	path := srv.BlobPath(digest.String())
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := newStore(t)
	_, err = Pull(ctx, dst, ref, anonymous)
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "blob "+digest.String()) {
		t.Fatalf("pull of a corrupt blob: %v, want ErrDigestMismatch naming %s", err, digest)
	}
	if _, err := dst.Get(ref); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("after a failed pull Get = %v, want ErrNotFound", err)
	}
}

func TestPushErrors(t *testing.T) {
	ctx := context.Background()
	authSrv := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	store := newStore(t)
	ref := authSrv.Addr + "/app:v1"
	if _, err := store.Put(ctx, busybox(t), ref); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, store, ref, anonymous); !errors.Is(err, ErrAuthRequired) {
		t.Errorf("anonymous push: %v, want ErrAuthRequired", err)
	}
	bad := Options{Keychain: staticKeychain{Username: "alice", Password: "nope"}}
	if _, err := Push(ctx, store, ref, bad); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("push with a wrong password: %v, want ErrBadCredentials", err)
	}
	good := Options{Keychain: staticKeychain{Username: "alice", Password: "s3cret"}}
	if _, err := Push(ctx, store, ref, good); err != nil {
		t.Errorf("push with credentials: %v", err)
	}
	if _, err := Push(ctx, store, authSrv.Addr+"/absent:v1", good); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("push of an image not in the store: %v, want image.ErrNotFound", err)
	}
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentServer accepts connections and never answers, like a registry
// behind a stuck proxy.
func silentServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}
