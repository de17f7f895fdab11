package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"stack/planner"
)

func init() {
	register("", "up", newUpCommand)
}

type upOptions struct {
	global        *globalOptions
	plan          upPlanFlags
	services      []string
	detach        bool
	wait          bool
	waitTimeout   int
	abortOnExit   bool
	exitCodeFrom  string
	dryRun        bool
	noColor       bool
	noLogPrefix   bool
	timestamps    bool
	out, progress io.Writer
	started       time.Time
	signals       chan os.Signal
}

func newUpCommand(g *globalOptions) *cobra.Command {
	o := &upOptions{global: g}
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start containers, recreating what changed",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out, o.progress = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runUp(cmd.Context(), o)
		},
	}
	o.plan.register(cmd)
	f := cmd.Flags()
	f.BoolVarP(&o.detach, "detach", "d", false, "run containers in the background")
	f.BoolVar(&o.wait, "wait", false, "wait for services to be running and healthy; implies --detach")
	f.IntVar(&o.waitTimeout, "wait-timeout", 0, "seconds --wait waits at most (0: no limit)")
	f.BoolVar(&o.abortOnExit, "abort-on-container-exit", false, "stop all containers when any container stops")
	f.StringVar(&o.exitCodeFrom, "exit-code-from", "", "return the exit code of this service's container; implies --abort-on-container-exit")
	f.BoolVar(&o.dryRun, "dry-run", false, "print what would be done and change nothing")
	f.BoolVar(&o.noColor, "no-color", false, "produce monochrome output")
	f.BoolVar(&o.noLogPrefix, "no-log-prefix", false, "do not print the container name before each line")
	f.BoolVar(&o.timestamps, "timestamps", false, "show timestamps in the logs")
	return cmd
}

func runUp(ctx context.Context, o *upOptions) error {
	o.started = time.Now()
	if err := o.check(); err != nil {
		return err
	}
	options, err := o.plan.options(o.services)
	if err != nil {
		return err
	}
	s, err := openProject(ctx, o.global, !o.dryRun)
	if err != nil {
		return err
	}
	defer s.close()
	options.NoRename = !s.host.canRename()
	if o.dryRun {
		return dryRun(ctx, s, options, o.out)
	}
	if !o.detach && !o.wait && !options.NoStart {
		// Catch Ctrl-C from here on, so that one pressed while the plan
		// runs still stops the containers once they are up.
		o.signals = make(chan os.Signal, 2)
		signal.Notify(o.signals, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(o.signals)
	}
	// A recreate killed between creating the replacement and renaming it
	// leaves a container under a temporary name: settle it before planning.
	if err := s.host.recoverReplacements(ctx, s.project.Name, o.progress); err != nil {
		return err
	}
	ex := s.executor(o.progress)
	plan, err := planner.Up(ctx, s.project, s.observer(), ex, options,
		planner.ApplyOptions{Progress: progressPrinter(o.progress)})
	ex.cancelEarly()
	if plan != nil {
		printWarnings(plan)
	}
	if err != nil {
		return err
	}
	s.close()
	switch {
	case o.wait:
		return waitReady(ctx, s, o.services, time.Duration(o.waitTimeout)*time.Second)
	case o.detach || options.NoStart:
		return nil
	}
	return attach(ctx, s, o)
}

func (o *upOptions) check() error {
	if o.exitCodeFrom != "" {
		o.abortOnExit = true
	}
	switch {
	case o.detach && o.abortOnExit:
		return errors.New("--detach and --abort-on-container-exit are incompatible")
	case o.wait && o.abortOnExit:
		return errors.New("--wait and --abort-on-container-exit are incompatible")
	case o.waitTimeout < 0:
		return errors.New("--wait-timeout: expected a number of seconds from 0")
	}
	return nil
}

// dryRun prints the plan up would apply, images and containers together.
func dryRun(ctx context.Context, s *projectSession, options planner.Options, out io.Writer) error {
	observed, err := s.observe(ctx)
	if err != nil {
		return err
	}
	plan, err := planner.Compute(s.project, observed, options)
	if err != nil {
		return err
	}
	printWarnings(plan)
	return printPlan(out, plan, false)
}

// waitReady waits until every container of the services runs, and is
// healthy if it has a healthcheck; a one-shot container that exited 0 counts
// as done.
func waitReady(ctx context.Context, s *projectSession, services []string, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	sel := logSelection{project: s.project.Name}
	var err error
	if sel.services, err = serviceSet(s.project.Services, services); err != nil {
		return err
	}
	cs, err := projectContainersOf(s.host.containers, sel)
	if err != nil {
		return err
	}
	plan := &planner.Plan{}
	for _, c := range cs {
		if c.Labels[planner.LabelOneOff] == "True" {
			continue
		}
		cond := planner.ConditionStarted
		if c.Health != nil {
			cond = planner.ConditionHealthy
		}
		plan.Nodes = append(plan.Nodes, &planner.Node{
			ID:     len(plan.Nodes) + 1,
			Action: planner.AwaitContainer{Service: c.Labels[planner.LabelService], Name: c.Name, Condition: cond},
			Cause:  "--wait",
		})
	}
	_, err = planner.Apply(ctx, plan, waitExecutor{s}, planner.ApplyOptions{Progress: progressPrinter(os.Stderr)})
	return err
}

// waitExecutor awaits, and treats a container that completed as ready.
type waitExecutor struct{ s *projectSession }

func (w waitExecutor) Execute(ctx context.Context, a planner.Action) error {
	await := a.(planner.AwaitContainer)
	if c, err := w.s.host.containers.Get(await.Name); err == nil {
		if done, _ := conditionMet(c, planner.ConditionCompleted); done {
			return nil
		}
	}
	err := awaitContainer(ctx, w.s.host.containers, await)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("--wait-timeout reached: %w", err)
	}
	return err
}
