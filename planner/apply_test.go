package planner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"stack/spec"
)

func TestApplyFailureSkipsDependents(t *testing.T) {
	p := newProject(
		newService("web", "web:1", dependsOn("db", spec.ConditionStarted)),
		newService("db", "redis:7"),
		newService("other", "busybox"),
	)
	m := NewMemory(&Observed{Images: map[string]string{"web:1": "a", "redis:7": "b", "busybox": "c"}})
	broken := errors.New("exit status 1")
	m.Fail["start container demo-db-1"] = broken
	plan, err := Compute(p, observe(t, m), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	status, err := Apply(context.Background(), plan, m, ApplyOptions{Progress: func(e Event) {
		if e.Status == StatusSkipped || e.Status == StatusFailed {
			events = append(events, e.Node.Action.Subject()+" "+e.Status.String()+": "+e.Err.Error())
		}
	}})
	if !errors.Is(err, broken) {
		t.Fatalf("Apply error = %v, want it to wrap %v", err, broken)
	}
	if got, want := err.Error(), "start container demo-db-1: exit status 1"; got != want {
		t.Errorf("Apply error = %q, want %q", got, want)
	}
	want := map[string]Status{
		"start container demo-db-1":    StatusFailed,
		"start container demo-web-1":   StatusSkipped,
		"start container demo-other-1": StatusDone,
		"create container demo-web-1":  StatusDone,
	}
	for _, n := range plan.Nodes {
		key := n.Action.Kind().String() + " " + n.Action.Subject()
		if w, ok := want[key]; ok && status[n.ID-1] != w {
			t.Errorf("%s: status %s, want %s", key, status[n.ID-1], w)
		}
	}
	joined := strings.Join(events, "\n")
	if !strings.Contains(joined, "demo-web-1 skipped: not run: #3 start container demo-db-1 failed") {
		t.Errorf("skip reason missing from events:\n%s", joined)
	}
}

// TestStepErrorSaysTheSubjectOnce: an executor's error that begins with
// its own verb and the node's subject does not repeat them; others are
// kept whole.
func TestStepErrorSaysTheSubjectOnce(t *testing.T) {
	tests := []struct{ subject, err, want string }{
		{"demo-web-1", "start demo-web-1: ports: in use", "start container demo-web-1: ports: in use"},
		{"demo-web-1", "exit status 1", "start container demo-web-1: exit status 1"},
		{"demo-web-1", "the init of demo-web-1: gone", "start container demo-web-1: the init of demo-web-1: gone"},
		{"demo-web-1", "start demo-web-10: no", "start container demo-web-1: start demo-web-10: no"},
	}
	for _, tt := range tests {
		e := &StepError{Node: &Node{Action: StartContainer{Name: tt.subject}}, Err: errors.New(tt.err)}
		if got := e.Error(); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.err, got, tt.want)
		}
	}
	pull := &StepError{Node: &Node{Action: PullImage{Ref: "nginx:alpine"}}, Err: errors.New("pull nginx:alpine: registry unreachable")}
	if got, want := pull.Error(), "pull image nginx:alpine: registry unreachable"; got != want {
		t.Errorf("pull: got %q, want %q", got, want)
	}
}

func TestApplyOptionalDependency(t *testing.T) {
	p := newProject(
		newService("web", "web:1", dependsOn("db", spec.ConditionHealthy, optional)),
		newService("db", "redis:7"), // no healthcheck: the await fails
	)
	m := NewMemory(&Observed{Images: map[string]string{"web:1": "a", "redis:7": "b"}})
	plan, err := Compute(p, observe(t, m), Options{})
	if err != nil {
		t.Fatal(err)
	}
	status, err := Apply(context.Background(), plan, m, ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "await container demo-db-1 service_healthy") {
		t.Fatalf("Apply error = %v, want the failed await", err)
	}
	if last := status[len(status)-1]; last != StatusDone {
		t.Errorf("start of web after an optional dependency failed: %s, want done", last)
	}
}

// barrier is an executor whose actions each wait until n of them are in
// flight at once, which only a parallel Apply achieves.
type barrier struct {
	mu      sync.Mutex
	waiting int
	n       int
	release chan struct{}
}

func (b *barrier) Execute(ctx context.Context, _ Action) error {
	b.mu.Lock()
	b.waiting++
	if b.waiting == b.n {
		close(b.release)
	}
	b.mu.Unlock()
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestApplyRunsIndependentNodesInParallel(t *testing.T) {
	plan := &Plan{}
	for i := 0; i < 4; i++ {
		plan.add(PullImage{Ref: string(rune('a' + i))}, "not present")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Apply(ctx, plan, &barrier{n: 4, release: make(chan struct{})}, ApplyOptions{}); err != nil {
		t.Fatalf("four independent nodes did not run at once: %v", err)
	}
}

func TestApplyCancelled(t *testing.T) {
	plan := &Plan{}
	first := plan.add(PullImage{Ref: "a"}, "not present")
	plan.add(PullImage{Ref: "b"}, "not present", first.ID)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	status, err := Apply(ctx, plan, NewMemory(nil), ApplyOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Apply error = %v, want context.Canceled", err)
	}
	for i, s := range status {
		if s != StatusSkipped {
			t.Errorf("node %d: %s, want skipped", i+1, s)
		}
	}
}
