package main

import (
	"context"

	"github.com/spf13/cobra"
)

func init() {
	register("image", "tag", newImageTagCommand)
}

type imageTagOptions struct {
	global *globalOptions
	source string
	target string
}

func newImageTagCommand(g *globalOptions) *cobra.Command {
	o := &imageTagOptions{global: g}
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.source, o.target = args[0], args[1]
			return runImageTag(cmd.Context(), o)
		},
	}
}

func runImageTag(_ context.Context, o *imageTagOptions) error {
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	return store.Tag(o.source, o.target)
}
