package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("volume", "inspect", newVolumeInspectCommand)
}

type volumeInspectOptions struct {
	global *globalOptions
	names  []string
	out    io.Writer
}

func newVolumeInspectCommand(g *globalOptions) *cobra.Command {
	o := &volumeInspectOptions{global: g}
	return &cobra.Command{
		Use:   "inspect VOLUME [VOLUME...]",
		Short: "Show volumes as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.names, o.out = args, cmd.OutOrStdout()
			return runVolumeInspect(cmd.Context(), o)
		},
	}
}

// runVolumeInspect prints what it found, then fails for what it did not,
// as docker does.
func runVolumeInspect(_ context.Context, o *volumeInspectOptions) error {
	store := openVolumes(o.global)
	found := []*volume{}
	var errs []error
	for _, name := range o.names {
		v, err := store.get(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		found = append(found, v)
	}
	enc := json.NewEncoder(o.out)
	enc.SetIndent("", "    ")
	if err := enc.Encode(found); err != nil {
		return err
	}
	return errors.Join(errs...)
}
