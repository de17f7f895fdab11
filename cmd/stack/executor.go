package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/network"
	"stack/planner"
	"stack/runtime/build"
	"stack/runtime/container"
	"stack/runtime/image"
	"stack/runtime/registry"
	"stack/spec"
)

// executor carries out the planner's actions with the runtime, network and
// image stores. It makes no decisions: each action says what to do.
type executor struct {
	host    *host
	project *spec.Project
	// progress receives pull and build output.
	progress io.Writer

	mu     sync.Mutex
	images map[string]*image.Image // by reference, for the replicas of one plan
	// early are the monitors started while their containers were created,
	// by the name the plan starts each under (see prestart).
	early map[string]*container.EarlyMonitor
}

// Execute implements planner.Executor.
func (e *executor) Execute(ctx context.Context, action planner.Action) error {
	switch a := action.(type) {
	case planner.CreateNetwork:
		return e.createNetwork(a)
	case planner.RemoveNetwork:
		err := e.host.networks.Remove(a.Name)
		if errors.Is(err, network.ErrNotFound) {
			return nil
		}
		return err
	case planner.CreateVolume:
		var driver string
		var opts map[string]string
		if a.Config != nil {
			driver, opts = a.Config.Driver, a.Config.DriverOpts
		}
		_, err := e.host.volumes.create(a.Name, driver, a.Labels, opts)
		return err
	case planner.RemoveVolume:
		err := e.host.volumes.remove(a.Name)
		if errors.Is(err, errVolumeNotFound) {
			return nil
		}
		return err
	case planner.PullImage:
		e.forget(a.Ref)
		_, err := registry.Pull(ctx, e.host.images, a.Ref, registry.Options{Progress: e.progress})
		return err
	case planner.BuildImage:
		e.forget(a.Ref)
		return e.buildImage(ctx, a)
	case planner.RemoveImage:
		// Another project's container may run the image: then it stays.
		inUse, err := imagesInUse(e.host.global)
		if err != nil {
			return err
		}
		_, err = e.host.images.Remove(a.Ref, image.RemoveOptions{InUse: inUse})
		if errors.Is(err, image.ErrNotFound) {
			return nil
		}
		return err
	}
	return e.executeContainer(ctx, action)
}

// forget drops a reference from the image cache before it changes.
func (e *executor) forget(ref string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.images, ref)
}

func (e *executor) createNetwork(a planner.CreateNetwork) error {
	opts := network.CreateOptions{Name: a.Name, Labels: a.Labels}
	if def := a.Config; def != nil {
		if def.Driver != "" && def.Driver != "bridge" {
			return fmt.Errorf("driver %q is not supported: only bridge", def.Driver)
		}
		opts.Internal = def.Internal
		opts.IPv6 = def.EnableIPv6 != nil && *def.EnableIPv6
		for i, pool := range def.IPAM.Config {
			subnet, err := ipamSubnet(pool)
			if err != nil {
				return fmt.Errorf("ipam.config[%d]: %w", i, err)
			}
			opts.Subnets = append(opts.Subnets, subnet)
		}
	}
	_, err := e.host.networks.Create(opts)
	return err
}

func ipamSubnet(pool spec.IPAMPool) (network.Subnet, error) {
	var s network.Subnet
	var err error
	if s.Prefix, err = netip.ParsePrefix(pool.Subnet); err != nil {
		return s, fmt.Errorf("subnet %q: expected CIDR notation like 10.1.0.0/24", pool.Subnet)
	}
	if pool.Gateway != "" {
		if s.Gateway, err = netip.ParseAddr(pool.Gateway); err != nil {
			return s, fmt.Errorf("gateway %q: expected an IP address", pool.Gateway)
		}
	}
	if pool.IPRange != "" {
		if s.IPRange, err = netip.ParsePrefix(pool.IPRange); err != nil {
			return s, fmt.Errorf("ip_range %q: expected CIDR notation", pool.IPRange)
		}
	}
	return s, nil
}

// buildImage builds a service's image with the runtime's builder and tags
// it with the service's image reference and its build tags.
func (e *executor) buildImage(ctx context.Context, a planner.BuildImage) error {
	bc := a.Config.Build
	root := e.host.global.Root
	tmp := filepath.Join(root, "build-tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	b := &build.Builder{
		Images:   build.StoreImages{Store: e.host.images},
		Runner:   build.ContainerRunner{Store: e.host.images, Dir: tmp},
		CacheDir: filepath.Join(root, "build-cache"),
		TempDir:  tmp,
	}
	o := build.Options{
		ContextDir: bc.Context, Tags: append([]string{a.Ref}, bc.Tags...),
		Target: bc.Target, NoCache: bc.NoCache, Pull: bc.Pull, Labels: bc.Labels,
		Network: bc.Network, Output: e.progress, BuildArgs: map[string]string{},
	}
	switch {
	case bc.DockerfileInline != "":
		o.DockerfileData = []byte(bc.DockerfileInline)
	case bc.Dockerfile != "" && filepath.IsAbs(bc.Dockerfile):
		o.Dockerfile = bc.Dockerfile
	case bc.Dockerfile != "":
		o.Dockerfile = filepath.Join(bc.Context, bc.Dockerfile)
	}
	for k, v := range bc.Args {
		if v != nil {
			o.BuildArgs[k] = *v
		}
	}
	_, err := b.Build(ctx, o)
	return err
}

// imageConfig returns the ID and run configuration of the image a
// container runs.
func (e *executor) imageConfig(ref string) (*image.Image, *v1.Config, error) {
	e.mu.Lock()
	img, ok := e.images[ref]
	e.mu.Unlock()
	if !ok {
		var err error
		if img, err = e.host.images.Get(ref); err != nil {
			return nil, nil, err
		}
		e.mu.Lock()
		if e.images == nil {
			e.images = map[string]*image.Image{}
		}
		e.images[ref] = img
		e.mu.Unlock()
	}
	if img.Config == nil {
		return img, &v1.Config{}, nil
	}
	return img, &img.Config.Config, nil
}
