package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"

	"stack/network"
	"stack/planner"
	"stack/runtime/container"
	"stack/runtime/image"
	"stack/spec"
)

// host is the state on this machine that project commands read and change:
// containers, images, networks and volumes, each from its own store.
type host struct {
	global     *globalOptions
	containers *container.Store
	images     *image.Store
	networks   *network.Manager
	volumes    *volumeStore
}

func openHost(g *globalOptions) (*host, error) {
	containers, err := container.OpenStore(g.Root, g.RunRoot)
	if err != nil {
		return nil, err
	}
	images, err := image.Open(g.Root)
	if err != nil {
		return nil, err
	}
	return &host{global: g, containers: containers, images: images, networks: networkManager(g), volumes: openVolumes(g)}, nil
}

// observe reads what the planner needs about one project. It reads state
// files only; it never asks a container's monitor anything, so it stays
// fast however many containers run.
func (h *host) observe(_ context.Context, project *spec.Project) (*planner.Observed, error) {
	o := &planner.Observed{
		Networks: map[string]planner.Network{},
		Volumes:  map[string]planner.Volume{},
		Images:   map[string]string{},
		Files:    map[string]string{},
	}
	all, err := h.containers.ListIdentities()
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if c.Labels[planner.LabelProject] == project.Name {
			o.Containers = append(o.Containers, observedContainer(c))
		}
	}
	nets, err := h.networks.List()
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		o.Networks[n.Name] = planner.Network{ID: n.ID, Name: n.Name, Labels: n.Labels}
	}
	vols, err := h.volumes.list()
	if err != nil {
		return nil, err
	}
	for _, v := range vols {
		o.Volumes[v.Name] = planner.Volume{Name: v.Name, Labels: v.Labels}
	}
	for _, name := range project.ServiceNames() {
		s := project.Services[name]
		ref := planner.ImageRef(project, s)
		if _, seen := o.Images[ref]; !seen {
			id, err := h.images.ID(ref)
			switch {
			case err == nil:
				o.Images[ref] = id.String()
			case !errors.Is(err, image.ErrNotFound):
				return nil, err
			}
		}
		for _, path := range planner.ServiceFiles(project, s) {
			if data, err := os.ReadFile(path); err == nil {
				sum := sha256.Sum256(data)
				o.Files[path] = hex.EncodeToString(sum[:])
			}
		}
	}
	return o, nil
}

// observedContainer is the planner's view of a runtime container.
func observedContainer(c *container.Container) planner.Container {
	pc := planner.ContainerFromLabels(c.ID, c.Name, planner.ParseState(c.StateName()), c.Labels)
	pc.ExitCode = c.State.ExitCode
	if h := c.State.Health; h != nil {
		switch h.Status {
		case "starting":
			pc.Health = planner.HealthStarting
		case "healthy":
			pc.Health = planner.HealthHealthy
		case "unhealthy":
			pc.Health = planner.HealthUnhealthy
		}
	}
	return pc
}

// configHashes returns the config hash of each service as up labels its
// containers: with the ID of the image the host has and the contents of the
// files the service reads. `stack config --hash` prints these.
func configHashes(ctx context.Context, g *globalOptions, project *spec.Project) (map[string]string, error) {
	h, err := openHost(g)
	if err != nil {
		return nil, err
	}
	observed, err := h.observe(ctx, project)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range project.ServiceNames() {
		s := project.Services[name]
		hash, err := planner.ConfigHash(project, s, observed.Images[planner.ImageRef(project, s)], observed.Files)
		if err != nil {
			return nil, err
		}
		out[name] = hash
	}
	return out, nil
}
