package registry

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// parallelTransfers bounds the layers moved at once, as Docker does.
const parallelTransfers = 3

// Options say how to reach registries and what to show while working.
type Options struct {
	// Keychain finds credentials; nil means Docker's config.json
	// ($DOCKER_CONFIG or ~/.docker) with its credential helpers.
	Keychain authn.Keychain
	// Hosts says which registries may use plain HTTP; nil means the
	// configuration file's rules (see LoadHosts).
	Hosts *Hosts
	// Platform picks the image of a multi-platform index; nil means this host's.
	Platform *v1.Platform
	// BlobsumDir is where a push remembers the compressed digests of the
	// plain layers it sent, so that pushing them again needs no compression
	// when the registry has them; empty remembers nothing.
	BlobsumDir string
	// Progress receives per-layer progress: bars when it is a terminal,
	// a line per change otherwise; nil shows nothing.
	Progress io.Writer
}

// withHosts fills in Hosts from the configuration file when the caller
// left it out.
func (o Options) withHosts() (Options, error) {
	if o.Hosts != nil {
		return o, nil
	}
	hosts, err := LoadHosts()
	o.Hosts = hosts
	return o, err
}

func (o Options) keychain() authn.Keychain {
	if o.Keychain == nil {
		return authn.DefaultKeychain
	}
	return o.Keychain
}

func (o Options) platform() v1.Platform {
	if o.Platform == nil {
		return hostPlatform()
	}
	return *o.Platform
}

func (o Options) remote(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain()),
		remote.WithTransport(newTransport(o.Hosts)),
		remote.WithPlatform(o.platform()),
		remote.WithJobs(parallelTransfers),
		remote.WithUserAgent("stack"),
	}
}

// authenticated reports whether the keychain has credentials for repo, to
// tell "login required" from "login rejected".
func (o Options) authenticated(repo name.Repository) bool {
	auth, err := o.keychain().Resolve(repo)
	return err == nil && auth != authn.Anonymous
}

// hostPlatform is the platform a multi-platform image resolves to here.
func hostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if runtime.GOARCH == "arm" {
		p.Variant = "v7"
	}
	return p
}

func platformString(p v1.Platform) string {
	s := fmt.Sprintf("%s/%s", p.OS, p.Architecture)
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
