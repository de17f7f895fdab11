package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

func init() {
	register("volume", "rm", newVolumeRmCommand)
}

type volumeRmOptions struct {
	global *globalOptions
	names  []string
	force  bool
	out    io.Writer
}

func newVolumeRmCommand(g *globalOptions) *cobra.Command {
	o := &volumeRmOptions{global: g}
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove volumes that no container uses",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.names, o.out = args, cmd.OutOrStdout()
			return runVolumeRm(cmd.Context(), o)
		},
	}
	shadowGlobalFlags(cmd.Flags(), "file")
	cmd.Flags().BoolVarP(&o.force, "force", "f", false, "do not fail for volumes that do not exist")
	return cmd
}

func runVolumeRm(_ context.Context, o *volumeRmOptions) error {
	users, err := volumeUsers(o.global)
	if err != nil {
		return err
	}
	store := openVolumes(o.global)
	var errs []error
	for _, name := range o.names {
		v, err := store.get(name)
		if errors.Is(err, errVolumeNotFound) && o.force {
			continue
		}
		if err == nil && len(users[v.Mountpoint]) > 0 {
			err = fmt.Errorf("volume %q: %w by %s", name, errVolumeInUse, strings.Join(users[v.Mountpoint], ", "))
		}
		if err == nil {
			err = store.remove(name)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(o.out, name)
	}
	return errors.Join(errs...)
}

// volumeUsers maps each volume mount point that a container mounts (or a
// directory below it) to the names of those containers.
func volumeUsers(g *globalOptions) (map[string][]string, error) {
	store, err := containerStore(g)
	if err != nil {
		return nil, err
	}
	all, err := store.List()
	if err != nil {
		return nil, err
	}
	vols, err := openVolumes(g).list()
	if err != nil {
		return nil, err
	}
	users := map[string][]string{}
	for _, c := range all {
		for _, m := range c.Mounts {
			for _, v := range vols {
				if m.Type == "bind" && (m.Source == v.Mountpoint || strings.HasPrefix(m.Source, v.Mountpoint+string(filepath.Separator))) {
					users[v.Mountpoint] = append(users[v.Mountpoint], c.Name)
				}
			}
		}
	}
	return users, nil
}
