package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Executor carries out one action. Implementations make no decisions: the
// action says everything. Execute is called concurrently for nodes that do
// not depend on each other, never for a node before its dependencies have
// succeeded. It must be idempotent where the host allows (creating what
// exists with the same name fails; removing what is gone succeeds), so that
// an interrupted Apply can be followed by a new plan.
type Executor interface {
	Execute(ctx context.Context, action Action) error
}

// Status is the outcome of one node.
type Status int

// Outcomes of a node.
const (
	StatusPending Status = 0
	StatusRunning Status = 1
	StatusDone    Status = 2
	StatusFailed  Status = 3
	StatusSkipped Status = 4
)

func (s Status) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusRunning:
		return "running"
	case StatusDone:
		return "done"
	case StatusFailed:
		return "failed"
	case StatusSkipped:
		return "skipped"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Event reports a node changing status during Apply.
type Event struct {
	Node   *Node
	Status Status
	Err    error
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Parallel bounds how many actions run at once; 0 means 64. A start
	// waits more than it computes (the monitor's and the init's own start,
	// network setup), so fifty replicas come up faster all at once than
	// sixteen at a time, even on two cores.
	Parallel int
	// Progress, when set, is called (serially) for every status change.
	Progress func(Event)
}

// StepError is the failure of one node.
type StepError struct {
	Node *Node
	Err  error
}

func (e *StepError) Error() string {
	subject := e.Node.Action.Subject()
	msg := e.Err.Error()
	// An executor's error often begins with its own verb and the same
	// subject ("start web-1: ports: ..."): said once.
	if verb, rest, ok := strings.Cut(msg, " "+subject+": "); ok && verb != "" && !strings.ContainsAny(verb, " :") {
		msg = rest
	}
	return fmt.Sprintf("%s %s: %s", e.Node.Action.Kind(), subject, msg)
}

func (e *StepError) Unwrap() error { return e.Err }

// SkippedError says why a node did not run: a dependency failed or was
// skipped, or the context ended first.
type SkippedError struct {
	Dependency *Node // nil when the context ended
	Err        error
}

func (e *SkippedError) Error() string {
	if e.Dependency == nil {
		return fmt.Sprintf("not run: %v", e.Err)
	}
	return fmt.Sprintf("not run: #%d %s %s failed", e.Dependency.ID, e.Dependency.Action.Kind(), e.Dependency.Action.Subject())
}

func (e *SkippedError) Unwrap() error { return e.Err }

// Apply runs the plan through the executor, each node as soon as its
// dependencies are done, independent nodes in parallel. A failed node
// skips everything that depends on it, unless it is optional; the rest of
// the plan still runs, so that one broken service does not stop the
// others. The returned error joins the failures (not the skips) and is nil
// when every node succeeded. The returned slice holds each node's final
// status, indexed by ID-1.
func Apply(ctx context.Context, plan *Plan, executor Executor, options ApplyOptions) ([]Status, error) {
	parallel := options.Parallel
	if parallel <= 0 {
		parallel = 64
	}
	r := &run{
		plan:     plan,
		executor: executor,
		options:  options,
		status:   make([]Status, len(plan.Nodes)),
		errs:     make([]error, len(plan.Nodes)),
		done:     make([]chan struct{}, len(plan.Nodes)),
		slots:    make(chan struct{}, parallel),
	}
	for i := range r.done {
		r.done[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for _, n := range plan.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.node(ctx, n)
		}()
	}
	wg.Wait()
	var failures []error
	for i, s := range r.status {
		if s == StatusFailed {
			failures = append(failures, &StepError{Node: plan.Nodes[i], Err: r.errs[i]})
		}
	}
	if len(failures) == 0 && ctx.Err() != nil && anySkipped(r.status) {
		failures = append(failures, ctx.Err())
	}
	return r.status, errors.Join(failures...)
}

type run struct {
	plan     *Plan
	executor Executor
	options  ApplyOptions
	mu       sync.Mutex
	status   []Status
	errs     []error
	done     []chan struct{}
	slots    chan struct{}
}

func (r *run) node(ctx context.Context, n *Node) {
	defer close(r.done[n.ID-1])
	for _, d := range n.Deps {
		<-r.done[d-1]
		dep := r.plan.Node(d)
		if st := r.get(d); st != StatusDone && !(st == StatusFailed && dep.Optional) {
			r.set(n, StatusSkipped, &SkippedError{Dependency: dep, Err: r.errs[d-1]})
			return
		}
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		r.set(n, StatusSkipped, &SkippedError{Err: ctx.Err()})
		return
	}
	defer func() { <-r.slots }()
	if err := ctx.Err(); err != nil {
		r.set(n, StatusSkipped, &SkippedError{Err: err})
		return
	}
	r.set(n, StatusRunning, nil)
	if err := r.executor.Execute(ctx, n.Action); err != nil {
		r.set(n, StatusFailed, err)
		return
	}
	r.set(n, StatusDone, nil)
}

func (r *run) get(id int) Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status[id-1]
}

func (r *run) set(n *Node, s Status, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status[n.ID-1] = s
	r.errs[n.ID-1] = err
	if r.options.Progress != nil {
		r.options.Progress(Event{Node: n, Status: s, Err: err})
	}
}

func anySkipped(status []Status) bool {
	for _, s := range status {
		if s == StatusSkipped {
			return true
		}
	}
	return false
}
