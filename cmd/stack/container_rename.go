package main

import (
	"context"
	"errors"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"stack/dns"
	"stack/runtime/container"
)

func init() {
	register("container", "rename", newContainerRenameCommand)
}

type containerRenameOptions struct {
	global       *globalOptions
	ref, newName string
}

func newContainerRenameCommand(g *globalOptions) *cobra.Command {
	o := &containerRenameOptions{global: g}
	cmd := &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref, o.newName = args[0], args[1]
			return runContainerRename(cmd.Context(), o)
		},
	}
	shadowGlobalFlags(cmd.Flags(), "file")
	return cmd
}

func runContainerRename(_ context.Context, o *containerRenameOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	c, err := store.Get(o.ref)
	if err != nil {
		return err
	}
	if err := store.Rename(c.ID, o.newName); err != nil {
		return err
	}
	renamed, err := store.Get(c.ID)
	if err != nil || !renamed.Running() {
		return nil // a stopped container publishes its names when it starts
	}
	return renameDNSRecords(dnsRegistry(o.global), store, c.ID, c.Name, renamed.Name)
}

// renameDNSRecords makes a running container answer to its new name on
// its networks, in place of the old one. Its monitor withdraws the records
// when it stops; a stop that raced with the rewrite is undone here, so no
// record outlives its container.
func renameDNSRecords(registry *dns.Registry, store *container.Store, id, oldName, newName string) error {
	nets, err := os.ReadDir(registry.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	var touched []string
	for _, n := range nets {
		if !n.IsDir() {
			continue
		}
		eps, err := registry.List(n.Name())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ep := range eps {
			if ep.ContainerID != id {
				continue
			}
			names := slices.DeleteFunc(slices.Clone(ep.Names), func(s string) bool { return s == oldName || s == newName })
			ep.Names = append([]string{newName}, names...)
			if err := registry.Put(n.Name(), ep); err != nil {
				errs = append(errs, err)
				continue
			}
			touched = append(touched, n.Name())
		}
	}
	if c, err := store.Get(id); err != nil || !c.Running() {
		for _, n := range touched {
			registry.Remove(n, id)
		}
	}
	return errors.Join(errs...)
}
