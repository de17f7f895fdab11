package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func init() {
	register("network", "disconnect", newNetworkDisconnectCommand)
}

type networkDisconnectOptions struct {
	global    *globalOptions
	network   string
	container string
}

func newNetworkDisconnectCommand(g *globalOptions) *cobra.Command {
	o := &networkDisconnectOptions{global: g}
	return &cobra.Command{
		Use:   "disconnect NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.network, o.container = args[0], args[1]
			return runNetworkDisconnect(cmd.Context(), o)
		},
	}
}

func runNetworkDisconnect(_ context.Context, o *networkDisconnectOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	c, err := store.Get(o.container)
	if err != nil {
		return err
	}
	m := networkManager(o.global)
	n, err := m.Inspect(o.network)
	if err != nil {
		return err
	}
	if _, ok := n.Endpoints[c.ID]; !ok {
		return fmt.Errorf("container %s is not connected to network %q", c.Name, o.network)
	}
	// The name goes first, so nobody resolves an address being removed.
	return errors.Join(dnsRegistry(o.global).Remove(o.network, c.ID), m.Detach(c.ID, o.network))
}
