package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	register("", "port", newPortCommand)
}

type portOptions struct {
	global   *globalOptions
	service  string
	port     int
	protocol string
	index    int
	out      io.Writer
}

func newPortCommand(g *globalOptions) *cobra.Command {
	o := &portOptions{global: g}
	cmd := &cobra.Command{
		Use:   "port [OPTIONS] SERVICE PRIVATE_PORT",
		Short: "Print the public address of a service's port",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.service, o.out = args[0], cmd.OutOrStdout()
			if _, err := fmt.Sscanf(args[1], "%d", &o.port); err != nil || o.port <= 0 || o.port > 65535 {
				return fmt.Errorf("private port %q: expected a number from 1 to 65535", args[1])
			}
			return runPort(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.protocol, "protocol", "tcp", "tcp or udp")
	f.IntVar(&o.index, "index", 0, "which replica of the service (default: the first)")
	return cmd
}

func runPort(ctx context.Context, o *portOptions) error {
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	name, err := replicaName(s, o.service, o.index)
	if err != nil {
		return err
	}
	c, err := s.host.containers.Get(name)
	if err != nil {
		return err
	}
	for _, p := range c.PublishedPorts() {
		if int(p.ContainerPort) == o.port && p.Protocol == o.protocol {
			fmt.Fprintln(o.out, hostAddress(p))
			return nil
		}
	}
	return fmt.Errorf("no port %d/%s published for %s", o.port, o.protocol, name)
}
