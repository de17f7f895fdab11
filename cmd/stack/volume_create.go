package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("volume", "create", newVolumeCreateCommand)
}

type volumeCreateOptions struct {
	global  *globalOptions
	name    string
	driver  string
	labels  []string
	options []string
	out     io.Writer
}

func newVolumeCreateCommand(g *globalOptions) *cobra.Command {
	o := &volumeCreateOptions{global: g}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.name = args[0]
			}
			o.out = cmd.OutOrStdout()
			return runVolumeCreate(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.driver, "driver", "d", "local", "volume driver (only local)")
	f.StringArrayVar(&o.labels, "label", nil, "set a label key=value (repeatable)")
	f.StringArrayVarP(&o.options, "opt", "o", nil, "driver option key=value (repeatable): o=bind and device=PATH bind a host directory")
	return cmd
}

func runVolumeCreate(_ context.Context, o *volumeCreateOptions) error {
	labels, err := parseLabels("--label", o.labels)
	if err != nil {
		return err
	}
	options, err := parseLabels("--opt", o.options)
	if err != nil {
		return err
	}
	v, err := openVolumes(o.global).create(o.name, o.driver, labels, options)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.out, v.Name)
	return nil
}
