package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("container", "start", newContainerStartCommand)
}

type containerStartOptions struct {
	global      *globalOptions
	refs        []string
	attach      bool
	interactive bool
	stdin       io.Reader
	out, err    io.Writer
}

func newContainerStartCommand(g *globalOptions) *cobra.Command {
	o := &containerStartOptions{global: g}
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start stopped containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.refs, o.stdin, o.out, o.err = args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runContainerStart(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.attach, "attach", "a", false, "attach to the output and pass the exit code through")
	cmd.Flags().BoolVarP(&o.interactive, "interactive", "i", false, "attach stdin")
	return cmd
}

func runContainerStart(ctx context.Context, o *containerStartOptions) error {
	container.PrepareStart(o.global.RunRoot)
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	argv, err := monitorArgv(o.global)
	if err != nil {
		return err
	}
	if o.attach && len(o.refs) > 1 {
		return errors.New("--attach: only one container at a time")
	}
	var errs []error
	for _, ref := range o.refs {
		opts := container.StartOptions{MonitorArgv: argv}
		if o.attach {
			opts.Stdout, opts.Stderr = o.out, o.err
			if o.interactive {
				opts.Stdin = o.stdin
			}
		}
		sess, err := store.Start(ctx, ref, opts)
		if errors.Is(err, container.ErrRunning) {
			fmt.Fprintln(o.out, ref)
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		code, err := sess.Wait()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if o.attach {
			if code != 0 {
				return &exitStatus{Code: code}
			}
			continue
		}
		fmt.Fprintln(o.out, ref)
	}
	return errors.Join(errs...)
}
