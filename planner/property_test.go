package planner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"stack/spec"
)

// TestConverges is the planner's property: whatever the project, the host
// state and the options, after Up has applied its plan the next Compute with
// the same options (less the ones that act every time: --force-recreate,
// --build, --pull always) finds nothing to do.
func TestConverges(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		before := randomProject(r, 0)
		after := mutateProject(r, before)
		options := randomOptions(r, after)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			m := hostWith(t, before, Options{})
			perturb(r, m)
			ctx := context.Background()
			plan, err := Up(ctx, after, m, m, options, ApplyOptions{})
			if err != nil {
				t.Fatalf("up with %+v: %v\nplan:\n%s", options, err, plan)
			}
			check := options
			check.Build, check.Pull = false, ""
			if check.Recreate == RecreateForce {
				check.Recreate = RecreateDiverged
			}
			if check.RecreateDeps == RecreateForce {
				check.RecreateDeps = RecreateDiverged
			}
			again, err := Compute(after, observe(t, m), check)
			if err != nil {
				t.Fatal(err)
			}
			if !again.Empty() {
				t.Errorf("options %+v\napplied:\n%s\nstill to do:\n%s", options, plan, again)
			}
		})
	}
}

var conditions = []string{spec.ConditionStarted, spec.ConditionHealthy}

func randomProject(r *rand.Rand, version int) *spec.Project {
	p := newProject()
	p.Networks["back"] = &spec.Network{}
	p.Volumes["data"] = &spec.Volume{}
	n := 1 + r.IntN(5)
	// A service either runs on (others wait for it started or healthy) or
	// does one job (others wait for it to complete), never both.
	oneShot := make([]bool, n)
	for i := range n {
		oneShot[i] = r.IntN(4) == 0
		s := randomService(r, fmt.Sprintf("s%d", i), version)
		for j := range i {
			if r.IntN(3) == 0 {
				cond := conditions[r.IntN(2)]
				if oneShot[j] {
					cond = spec.ConditionCompletedSuccessfully
				}
				dependsOn(fmt.Sprintf("s%d", j), cond, func(d *spec.DependsOn) {
					d.Required = r.IntN(4) != 0
					d.Restart = r.IntN(3) == 0
				})(s)
			}
		}
		p.Services[s.Name] = s
	}
	healthDeps(p)
	return p
}

func randomService(r *rand.Rand, name string, version int) *spec.Service {
	s := newService(name, fmt.Sprintf("img%d", r.IntN(3)), env("V", fmt.Sprint(version+r.IntN(2))))
	if r.IntN(6) == 0 {
		s.Image = ""
		build(s)
	}
	if r.IntN(3) == 0 {
		scale(r.IntN(4))(s)
	}
	switch r.IntN(3) {
	case 0:
		networks("default", "back")(s)
	case 1:
		networks("back")(s)
	}
	if r.IntN(3) == 0 {
		mount(spec.VolumeTypeVolume, "data", "/data")(s)
	}
	if r.IntN(4) == 0 {
		mount(spec.VolumeTypeVolume, "", "/anon")(s)
	}
	return s
}

// healthDeps gives a healthcheck to every service another waits on being
// healthy, as a valid project would.
func healthDeps(p *spec.Project) {
	for _, s := range p.Services {
		for dep, on := range s.DependsOn {
			if on.Condition == spec.ConditionHealthy && p.Services[dep] != nil {
				healthcheck()(p.Services[dep])
			}
		}
	}
}

// mutateProject changes some services, drops one (its containers become
// orphans) and maybe adds one.
func mutateProject(r *rand.Rand, before *spec.Project) *spec.Project {
	p := newProject()
	p.Networks, p.Volumes = before.Networks, before.Volumes
	for _, name := range before.ServiceNames() {
		s := *before.Services[name]
		if r.IntN(3) == 0 {
			env("V", fmt.Sprint(r.IntN(3)))(&s)
		}
		if r.IntN(5) == 0 {
			scale(r.IntN(4))(&s)
		}
		p.Services[name] = &s
	}
	names := p.ServiceNames()
	if last := names[len(names)-1]; len(names) > 1 && r.IntN(4) == 0 {
		delete(p.Services, last)
		for _, s := range p.Services {
			delete(s.DependsOn, last)
		}
	}
	if r.IntN(4) == 0 {
		p.Services["extra"] = randomService(r, "extra", 1)
	}
	healthDeps(p)
	return p
}

func randomOptions(r *rand.Rand, p *spec.Project) Options {
	o := Options{
		Recreate:      Recreate(r.IntN(3)),
		RemoveOrphans: r.IntN(2) == 0,
		NoStart:       r.IntN(8) == 0,
		Build:         r.IntN(5) == 0,
		NoRename:      r.IntN(4) == 0,
	}
	o.RecreateDeps = RecreateDiverged
	if o.Recreate == RecreateNever {
		o.RecreateDeps = RecreateNever
	} else if r.IntN(3) == 0 {
		o.RecreateDeps = RecreateForce
	}
	if r.IntN(3) == 0 {
		names := p.ServiceNames()
		o.Services = []string{names[r.IntN(len(names))]}
		o.NoDeps = r.IntN(2) == 0
	}
	if r.IntN(4) == 0 {
		names := p.ServiceNames()
		o.Scale = map[string]int{names[r.IntN(len(names))]: r.IntN(4)}
	}
	if r.IntN(5) == 0 {
		o.Pull = "always"
	}
	return o
}

// perturb stops, kills or removes some containers and replaces an image,
// as time and users do between two `up`s.
func perturb(r *rand.Rand, m *Memory) {
	for i := range m.state.Containers {
		switch r.IntN(8) {
		case 0:
			m.state.Containers[i].State, m.state.Containers[i].ExitCode = StateExited, 137
		case 1:
			m.state.Containers[i].State = StateCreated
		case 2:
			m.state.Containers[i].State = StateDead
		}
	}
	if len(m.state.Containers) > 0 && r.IntN(4) == 0 {
		i := r.IntN(len(m.state.Containers))
		m.state.Containers = append(m.state.Containers[:i], m.state.Containers[i+1:]...)
	}
	if r.IntN(4) == 0 {
		m.state.Images["img1"] = "sha256:img1-v2"
	}
}
