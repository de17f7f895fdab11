package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("container", "inspect", newContainerInspectCommand)
}

type containerInspectOptions struct {
	global *globalOptions
	refs   []string
	out    io.Writer
}

func newContainerInspectCommand(g *globalOptions) *cobra.Command {
	o := &containerInspectOptions{global: g}
	return &cobra.Command{
		Use:   "inspect CONTAINER [CONTAINER...]",
		Short: "Show containers' configuration and state as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerInspect(cmd.Context(), o)
		},
	}
}

func runContainerInspect(_ context.Context, o *containerInspectOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	out := []*container.Container{}
	var errs []error
	for _, ref := range o.refs {
		c, err := store.Get(ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	enc := json.NewEncoder(o.out)
	enc.SetIndent("", "    ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	return errors.Join(errs...)
}
