package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"stack/runtime/image"
)

func init() {
	register("image", "import", newImageImportCommand)
}

type imageImportOptions struct {
	global  *globalOptions
	file    string
	ref     string
	changes []string
	message string
	stdin   io.Reader
	out     io.Writer
}

func newImageImportCommand(g *globalOptions) *cobra.Command {
	o := &imageImportOptions{global: g}
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] FILE|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = args[0]
			if len(args) == 2 {
				o.ref = args[1]
			}
			o.stdin, o.out = cmd.InOrStdin(), cmd.OutOrStdout()
			return runImageImport(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.changes, "change", "c", nil, "apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)")
	f.StringVarP(&o.message, "message", "m", "", "commit message for the imported image")
	return cmd
}

func runImageImport(ctx context.Context, o *imageImportOptions) error {
	r, source := o.stdin, "-"
	if o.file != "-" {
		f, err := os.Open(o.file)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		r, source = f, o.file
	}
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	img, err := store.Import(ctx, r, image.ImportOptions{Ref: o.ref, Changes: o.changes, Message: o.message, Source: source})
	if err != nil {
		return err
	}
	fmt.Fprintln(o.out, img.ID)
	return nil
}
