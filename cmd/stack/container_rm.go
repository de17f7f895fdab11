package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

func init() {
	register("container", "rm", newContainerRmCommand)
}

type containerRmOptions struct {
	global  *globalOptions
	refs    []string
	force   bool
	volumes bool
	out     io.Writer
}

func newContainerRmCommand(g *globalOptions) *cobra.Command {
	o := &containerRmOptions{global: g}
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases: []string{"remove"},
		Short:   "Remove containers",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerRm(cmd.Context(), o)
		},
	}
	shadowGlobalFlags(cmd.Flags(), "file")
	cmd.Flags().BoolVarP(&o.force, "force", "f", false, "kill and remove a running container")
	cmd.Flags().BoolVarP(&o.volumes, "volumes", "v", false, "remove the container's anonymous volumes")
	return cmd
}

func runContainerRm(ctx context.Context, o *containerRmOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range o.refs {
		c, err := store.Get(ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if o.force && c.Running() {
			if err := store.Stop(ctx, c.ID, "KILL", 0); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := store.Remove(c.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		if o.volumes {
			for _, pair := range strings.Split(c.Labels[labelAnonymousVolumes], ",") {
				if _, name, ok := strings.Cut(pair, "="); ok {
					if err := openVolumes(o.global).remove(name); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
		fmt.Fprintln(o.out, ref)
	}
	return errors.Join(errs...)
}
