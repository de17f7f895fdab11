package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"stack/runtime/registry"
)

func init() {
	register("", "logout", newLogoutCommand)
}

type logoutOptions struct {
	server string
	out    io.Writer
}

func newLogoutCommand(_ *globalOptions) *cobra.Command {
	o := &logoutOptions{}
	cmd := &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry (Docker Hub when no server is given)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.server = args[0]
			}
			o.out = cmd.OutOrStdout()
			return runLogout(cmd.Context(), o)
		},
	}
	return cmd
}

func runLogout(_ context.Context, o *logoutOptions) error {
	host, _, err := registry.ServerKey(o.server)
	if err != nil {
		return err
	}
	removed, err := registry.Logout(o.server)
	if err != nil {
		return err
	}
	if !removed {
		fmt.Fprintf(o.out, "Not logged in to %s\n", host)
		return nil
	}
	fmt.Fprintf(o.out, "Removing login credentials for %s\n", host)
	return nil
}
