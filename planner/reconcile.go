package planner

import (
	"context"

	"stack/spec"
)

// Observer reads the host state a project is reconciled against.
type Observer interface {
	Observe(ctx context.Context) (*Observed, error)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context) (*Observed, error)

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context) (*Observed, error) { return f(ctx) }

// Up reconciles a project in two rounds, as `up` does. The images come
// first, because a container's config hash includes the ID of its image and
// that ID is only known once the image is built or pulled; then the host is
// observed again and the containers are planned against the images it now
// has. It returns the plan of the last round that ran.
func Up(ctx context.Context, project *spec.Project, observer Observer, executor Executor, options Options, apply ApplyOptions) (*Plan, error) {
	observed, err := observer.Observe(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := Compute(project, observed, options)
	if err != nil {
		return nil, err
	}
	if plan.HasImageActions() {
		images := plan.Filter(func(n *Node) bool {
			k := n.Action.Kind()
			return k == KindBuildImage || k == KindPullImage
		})
		if _, err := Apply(ctx, images, executor, apply); err != nil {
			return images, err
		}
		if observed, err = observer.Observe(ctx); err != nil {
			return nil, err
		}
		options.SkipImages = true
		if plan, err = Compute(project, observed, options); err != nil {
			return nil, err
		}
	}
	_, err = Apply(ctx, plan, executor, apply)
	return plan, err
}
