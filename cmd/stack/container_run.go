package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"stack/runtime/container"
)

func init() {
	register("container", "run", newContainerRunCommand)
}

type containerRunOptions struct {
	create      containerCreateOptions
	detach      bool
	interactive bool
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
}

func newContainerRunCommand(g *globalOptions) *cobra.Command {
	o := &containerRunOptions{create: containerCreateOptions{global: g}}
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.create.image, o.create.args = args[0], args[1:]
			o.stdin, o.stdout, o.stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			o.create.changed = cmd.Flags().Changed
			return runContainerRun(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.detach, "detach", "d", false, "run in the background and print the container ID")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "keep stdin open")
	addContainerCreateFlags(f, &o.create)
	return cmd
}

func runContainerRun(ctx context.Context, o *containerRunOptions) error {
	// The sealed copy of the binary is made, if no running monitor has one,
	// while the container is created.
	container.PrepareStart(o.create.global.RunRoot)
	o.create.interactive = o.interactive
	if o.detach && o.create.autoRemove && o.create.restart != "" && o.create.restart != "no" {
		return fmt.Errorf("--rm: conflicts with --restart %s", o.create.restart)
	}
	opts, early, err := prestartMonitor(o)
	if err != nil {
		return err
	}
	store, c, err := createContainer(ctx, &o.create)
	if err != nil {
		early.Cancel()
		return err
	}
	var term *terminal
	if !o.detach && o.create.tty {
		if term, err = makeRaw(o.stdin); err != nil {
			early.Cancel()
			return err
		}
		defer term.restore()
	}
	opts.Early = early
	sess, err := store.Start(ctx, c.ID, opts)
	if err != nil {
		if o.create.autoRemove {
			store.Remove(c.ID)
		}
		return err
	}
	if o.detach {
		sess.Wait()
		fmt.Fprintln(o.stdout, c.ID)
		return nil
	}
	if term != nil {
		stopResize := term.followSize(func(rows, cols uint16) {
			store.Resize(context.Background(), c, rows, cols)
		})
		defer stopResize()
	}
	code, err := sess.Wait()
	if err != nil {
		return err
	}
	if o.create.autoRemove {
		// The monitor removes it; wait so that the name is free on return.
		waitRemoved(store, c.ID)
	}
	if code != 0 {
		return &exitStatus{Code: code}
	}
	return nil
}

// prestartMonitor starts the monitor of the container about to be created,
// under the ID chosen for it here: the monitor's own start-up, tens of
// milliseconds, then overlaps the image lookup and the container's
// creation instead of following them.
func prestartMonitor(o *containerRunOptions) (container.StartOptions, *container.EarlyMonitor, error) {
	argv, err := monitorArgv(o.create.global)
	if err != nil {
		return container.StartOptions{}, nil, err
	}
	opts := container.StartOptions{MonitorArgv: argv}
	if !o.detach {
		opts.Stdout, opts.Stderr = o.stdout, o.stderr
		if o.interactive {
			opts.Stdin = o.stdin
		}
	}
	store, err := container.OpenStore(o.create.global.Root, o.create.global.RunRoot)
	if err != nil {
		return opts, nil, err
	}
	o.create.id = container.NewID()
	early, err := store.Prestart(o.create.id, opts)
	return opts, early, err
}

func waitRemoved(store *container.Store, id string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(store.Dir(id)); os.IsNotExist(err) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
