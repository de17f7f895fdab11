package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func init() {
	register("network", "rm", newNetworkRmCommand)
}

type networkRmOptions struct {
	global *globalOptions
	names  []string
	out    io.Writer
}

func newNetworkRmCommand(g *globalOptions) *cobra.Command {
	o := &networkRmOptions{global: g}
	return &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove networks without containers",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.names = args
			o.out = cmd.OutOrStdout()
			return runNetworkRm(cmd.Context(), o)
		},
	}
}

func runNetworkRm(_ context.Context, o *networkRmOptions) error {
	m := networkManager(o.global)
	var errs []error
	for _, name := range o.names {
		if err := m.Remove(name); err != nil {
			errs = append(errs, err)
			continue
		}
		os.RemoveAll(filepath.Join(dnsRegistry(o.global).Dir, name))
		fmt.Fprintln(o.out, name)
	}
	return errors.Join(errs...)
}
