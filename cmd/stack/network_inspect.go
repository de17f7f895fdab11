package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"stack/network"
)

func init() {
	register("network", "inspect", newNetworkInspectCommand)
}

type networkInspectOptions struct {
	global *globalOptions
	names  []string
	out    io.Writer
}

func newNetworkInspectCommand(g *globalOptions) *cobra.Command {
	o := &networkInspectOptions{global: g}
	return &cobra.Command{
		Use:   "inspect NETWORK [NETWORK...]",
		Short: "Show networks as JSON: subnets, bridge, endpoints",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.names = args
			o.out = cmd.OutOrStdout()
			return runNetworkInspect(cmd.Context(), o)
		},
	}
}

func runNetworkInspect(_ context.Context, o *networkInspectOptions) error {
	m := networkManager(o.global)
	nets := []*network.Network{}
	var errs []error
	for _, name := range o.names {
		n, err := m.Inspect(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nets = append(nets, n)
	}
	enc := json.NewEncoder(o.out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(nets); err != nil {
		return err
	}
	return errors.Join(errs...)
}
