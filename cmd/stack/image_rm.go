package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"stack/runtime/image"
)

func init() {
	register("image", "rm", newImageRmCommand)
}

type imageRmOptions struct {
	global *globalOptions
	refs   []string
	force  bool
	out    io.Writer
}

func newImageRmCommand(g *globalOptions) *cobra.Command {
	o := &imageRmOptions{global: g}
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] IMAGE [IMAGE...]",
		Aliases: []string{"remove", "rmi"},
		Short:   "Remove one or more images",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runImageRm(cmd.Context(), o)
		},
	}
	shadowGlobalFlags(cmd.Flags(), "file")
	cmd.Flags().BoolVarP(&o.force, "force", "f", false, "force removal of the image")
	return cmd
}

// runImageRm removes each image in turn, as docker rmi does, and reports
// every failure after trying them all.
func runImageRm(_ context.Context, o *imageRmOptions) error {
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	inUse, err := imagesInUse(o.global)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range o.refs {
		removed, err := store.Remove(ref, image.RemoveOptions{Force: o.force, InUse: inUse})
		for _, r := range removed.Untagged {
			fmt.Fprintf(o.out, "Untagged: %s\n", image.FamiliarString(r))
		}
		for _, h := range removed.Deleted {
			fmt.Fprintf(o.out, "Deleted: %s\n", h)
		}
		if err != nil {
			if errors.Is(err, image.ErrNotFound) {
				err = fmt.Errorf("no such image: %s", ref)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
