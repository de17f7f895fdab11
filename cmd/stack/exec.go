package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "exec", newExecCommand)
}

type execOptions struct {
	global  *globalOptions
	service string
	args    []string
	noTTY   bool
	index   int
	detach  bool
	env     []string
	user    string
	workdir string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

func newExecCommand(g *globalOptions) *cobra.Command {
	o := &execOptions{global: g}
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] SERVICE COMMAND [ARG...]",
		Short: "Run a command in a running container of a service",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.service, o.args = args[0], args[1:]
			o.stdin, o.stdout, o.stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runExec(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.noTTY, "no-TTY", "T", false, "do not allocate a pseudo-TTY (the default when stdin is not a terminal)")
	f.IntVar(&o.index, "index", 0, "which replica of the service (default: the first)")
	f.BoolVarP(&o.detach, "detach", "d", false, "run the command in the background")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable KEY=VALUE (repeatable)")
	f.StringVarP(&o.user, "user", "u", "", "run as user[:group]")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory of the command")
	return cmd
}

// runExec finds the service's replica and runs the command in it, as
// `stack container exec` does.
func runExec(ctx context.Context, o *execOptions) error {
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	name, err := replicaName(s, o.service, o.index)
	if err != nil {
		return err
	}
	tty := !o.noTTY && !o.detach && isTerminal(os.Stdin)
	return runContainerExec(ctx, &containerExecOptions{
		global: o.global, ref: name, args: o.args, interactive: !o.detach, tty: tty,
		detach: o.detach, env: o.env, user: o.user, workdir: o.workdir,
		stdin: o.stdin, stdout: o.stdout, stderr: o.stderr,
	})
}

// replicaName is the running container of a service with the given
// number, or the lowest-numbered running one when index is 0.
func replicaName(s *projectSession, service string, index int) (string, error) {
	cs, err := serviceContainers(s, []string{service})
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		n, _ := strconv.Atoi(c.Labels[planner.LabelNumber])
		if c.Running() && (index == 0 || n == index) {
			return c.Name, nil
		}
	}
	if index != 0 {
		return "", fmt.Errorf("service %q has no running container with --index %d", service, index)
	}
	return "", fmt.Errorf("service %q is not running", service)
}
