package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"stack/planner"
)

// upPlanFlags are the flags of up that shape the plan; plan takes them too,
// so that it shows exactly what up with the same flags would do.
type upPlanFlags struct {
	forceRecreate      bool
	noRecreate         bool
	alwaysRecreateDeps bool
	removeOrphans      bool
	scale              []string
	noDeps             bool
	noStart            bool
	build              bool
	noBuild            bool
	pull               string
	timeout            int
}

func (f *upPlanFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.BoolVar(&f.forceRecreate, "force-recreate", false, "recreate containers even if their configuration and image have not changed")
	fs.BoolVar(&f.noRecreate, "no-recreate", false, "never recreate existing containers")
	fs.BoolVar(&f.alwaysRecreateDeps, "always-recreate-deps", false, "recreate the dependencies of the services asked for, too")
	fs.BoolVar(&f.removeOrphans, "remove-orphans", false, "remove containers of services no longer in the stack file")
	fs.Var(newStringList(&f.scale), "scale", "run N replicas of a service: SERVICE=N (repeatable)")
	fs.BoolVar(&f.noDeps, "no-deps", false, "do not bring up the services the given ones depend on")
	fs.BoolVar(&f.noStart, "no-start", false, "create containers but do not start them")
	fs.BoolVar(&f.build, "build", false, "build images before starting containers")
	fs.BoolVar(&f.noBuild, "no-build", false, "do not build images, even if missing")
	fs.StringVar(&f.pull, "pull", "", `pull images: "always", "missing" or "never" (default: each service's pull_policy)`)
	fs.IntVarP(&f.timeout, "timeout", "t", -1, "seconds to wait for containers to stop before killing them")
}

// options checks the flags against each other and returns the planner's
// options.
func (f *upPlanFlags) options(services []string) (planner.Options, error) {
	o := planner.Options{
		Services: services, NoDeps: f.noDeps, RemoveOrphans: f.removeOrphans,
		NoStart: f.noStart, Build: f.build, NoBuild: f.noBuild, Pull: f.pull,
	}
	switch {
	case f.forceRecreate && f.noRecreate:
		return o, fmt.Errorf("--force-recreate and --no-recreate are incompatible")
	case f.alwaysRecreateDeps && f.noRecreate:
		return o, fmt.Errorf("--always-recreate-deps and --no-recreate are incompatible")
	case f.build && f.noBuild:
		return o, fmt.Errorf("--build and --no-build are incompatible")
	}
	switch f.pull {
	case "", "always", "missing", "never":
	default:
		return o, fmt.Errorf("--pull %q: expected always, missing or never", f.pull)
	}
	if f.forceRecreate {
		o.Recreate = planner.RecreateForce
	}
	if f.alwaysRecreateDeps {
		o.RecreateDeps = planner.RecreateForce
	}
	if f.noRecreate {
		o.Recreate, o.RecreateDeps = planner.RecreateNever, planner.RecreateNever
	}
	if f.timeout >= 0 {
		d := time.Duration(f.timeout) * time.Second
		o.Timeout = &d
	}
	scale, err := parseScale(f.scale)
	o.Scale = scale
	return o, err
}

func parseScale(list []string) (map[string]int, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := map[string]int{}
	for _, s := range list {
		name, count, ok := strings.Cut(s, "=")
		n, err := strconv.Atoi(count)
		if !ok || name == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("--scale %q: expected SERVICE=N with N a number from 0", s)
		}
		out[name] = n
	}
	return out, nil
}
