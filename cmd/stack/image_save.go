package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"stack/runtime/image"
)

func init() {
	register("image", "save", newImageSaveCommand)
}

type imageSaveOptions struct {
	global *globalOptions
	refs   []string
	output string
	format string
	out    *os.File
}

func newImageSaveCommand(g *globalOptions) *cobra.Command {
	o := &imageSaveOptions{global: g}
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, os.Stdout
			return runImageSave(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "write to a file instead of STDOUT")
	f.StringVar(&o.format, "format", "docker", "archive format: docker (docker save) or oci (OCI layout, also read by docker load)")
	return cmd
}

func runImageSave(ctx context.Context, o *imageSaveOptions) error {
	format, err := image.ParseFormat(o.format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	if o.output == "" {
		if _, err := unix.IoctlGetTermios(int(o.out.Fd()), unix.TCGETS); err == nil {
			return fmt.Errorf("refusing to write an archive to a terminal: use -o FILE or redirect the output")
		}
		return store.Save(ctx, o.out, o.refs, format)
	}
	return saveToFile(ctx, store, o.output, o.refs, format)
}

// saveToFile writes the archive next to path and renames it into place, so
// a failed save leaves no truncated archive behind.
func saveToFile(ctx context.Context, store *image.Store, path string, refs []string, format image.Format) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".save-*")
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	defer os.Remove(f.Name())
	err = store.Save(ctx, f, refs, format)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
