package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("container", "exec", newContainerExecCommand)
}

type containerExecOptions struct {
	global      *globalOptions
	ref         string
	args        []string
	interactive bool
	tty         bool
	detach      bool
	env         []string
	user        string
	workdir     string
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
}

func newContainerExecCommand(g *globalOptions) *cobra.Command {
	o := &containerExecOptions{global: g}
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref, o.args = args[0], args[1:]
			o.stdin, o.stdout, o.stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runContainerExec(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.interactive, "interactive", "i", false, "keep stdin open")
	f.BoolVarP(&o.tty, "tty", "t", false, "allocate a pseudo-TTY")
	f.BoolVarP(&o.detach, "detach", "d", false, "run in the background")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable")
	f.StringVarP(&o.user, "user", "u", "", "user[:group]")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory")
	return cmd
}

func runContainerExec(ctx context.Context, o *containerExecOptions) error {
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	for _, kv := range o.env {
		if kv == "" || kv[0] == '=' {
			return fmt.Errorf("-e %q: expected KEY=VALUE", kv)
		}
	}
	opts := container.ExecOptions{
		Process: container.Process{Args: o.args, Env: o.env, User: o.user, Cwd: o.workdir, Terminal: o.tty},
		Detach:  o.detach,
	}
	if !o.detach {
		opts.Stdout, opts.Stderr = o.stdout, o.stderr
		if o.interactive {
			opts.Stdin = o.stdin
		}
	}
	if o.tty && !o.detach {
		term, err := makeRaw(o.stdin)
		if err != nil {
			return err
		}
		defer term.restore()
		opts.OnTerminal = func(master *os.File) {
			stop := term.followSize(func(rows, cols uint16) {
				container.SetTerminalSize(master, rows, cols)
			})
			go func() { <-ctx.Done(); stop() }()
		}
	}
	code, err := store.Exec(ctx, o.ref, opts)
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitStatus{Code: code}
	}
	return nil
}
