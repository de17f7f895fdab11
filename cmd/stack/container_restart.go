package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("container", "restart", newContainerRestartCommand)
}

type containerRestartOptions struct {
	global  *globalOptions
	refs    []string
	timeout int
	signal  string
	out     io.Writer
}

func newContainerRestartCommand(g *globalOptions) *cobra.Command {
	o := &containerRestartOptions{global: g}
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.out = args, cmd.OutOrStdout()
			return runContainerRestart(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVarP(&o.timeout, "time", "t", -1, "seconds to wait before killing (default: the container's stop timeout)")
	cmd.Flags().StringVarP(&o.signal, "signal", "s", "", "signal to stop with")
	return cmd
}

func runContainerRestart(ctx context.Context, o *containerRestartOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	argv, err := monitorArgv(o.global)
	if err != nil {
		return err
	}
	timeout := time.Duration(-1)
	if o.timeout >= 0 {
		timeout = time.Duration(o.timeout) * time.Second
	}
	var errs []error
	for _, ref := range o.refs {
		if err := store.Stop(ctx, ref, o.signal, timeout); err != nil {
			errs = append(errs, err)
			continue
		}
		sess, err := store.Start(ctx, ref, container.StartOptions{MonitorArgv: argv})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sess.Wait()
		fmt.Fprintln(o.out, ref)
	}
	return errors.Join(errs...)
}
