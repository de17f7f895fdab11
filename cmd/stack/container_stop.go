package main

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"
)

func init() {
	register("container", "stop", newContainerStopCommand)
}

type containerStopOptions struct {
	global  *globalOptions
	refs    []string
	timeout int
	signal  string
	out     io.Writer
}

func newContainerStopCommand(g *globalOptions) *cobra.Command {
	o := &containerStopOptions{global: g}
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop running containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerStop(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVarP(&o.timeout, "time", "t", -1, "seconds to wait before killing (default: the container's stop timeout)")
	cmd.Flags().StringVarP(&o.signal, "signal", "s", "", "signal to send (default: the container's stop signal)")
	return cmd
}

func runContainerStop(ctx context.Context, o *containerStopOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	timeout := time.Duration(-1)
	if o.timeout >= 0 {
		timeout = time.Duration(o.timeout) * time.Second
	}
	return eachRef(o.refs, o.out, func(ref string) error { return store.Stop(ctx, ref, o.signal, timeout) })
}
