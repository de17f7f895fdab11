package build

import (
	"fmt"
	"strconv"
	"strings"

	"stack/runtime/build/dockerfile"
)

// stage is one FROM and the instructions up to the next FROM.
type stage struct {
	index  int
	name   string // lower-case AS name, "" when unnamed
	from   *dockerfile.Instruction
	base   string // the FROM image as written, before expansion
	flags  flagSet
	body   []*dockerfile.Instruction
	deps   []int // stages this one reads: FROM or COPY --from
	needed bool
}

// plan is a Dockerfile split into stages, with the global ARGs before the
// first FROM.
type plan struct {
	escape     rune
	globalArgs []*dockerfile.Instruction
	stages     []*stage
	order      []*stage // the stages the target needs, in build order
	target     *stage
}

// newPlan splits f into stages and selects those target needs ("" is the
// last stage).
func newPlan(f *dockerfile.File, target string) (*plan, error) {
	p := &plan{escape: f.Escape}
	for _, ins := range f.Instructions {
		if ins.Command == "from" {
			s, err := newStage(len(p.stages), ins, p.escape)
			if err != nil {
				return nil, lineError(ins, err)
			}
			p.stages = append(p.stages, s)
			continue
		}
		if len(p.stages) == 0 {
			if ins.Command != "arg" {
				return nil, lineError(ins, fmt.Errorf("%s before the first FROM: only ARG may come before FROM", strings.ToUpper(ins.Command)))
			}
			p.globalArgs = append(p.globalArgs, ins)
			continue
		}
		cur := p.stages[len(p.stages)-1]
		cur.body = append(cur.body, ins)
	}
	if len(p.stages) == 0 {
		return nil, fmt.Errorf("the Dockerfile has no FROM instruction")
	}
	if err := p.link(); err != nil {
		return nil, err
	}
	return p, p.selectTarget(target)
}

func newStage(index int, ins *dockerfile.Instruction, escape rune) (*stage, error) {
	flags, err := parseFlags(ins, "platform")
	if err != nil {
		return nil, err
	}
	words := dockerfile.Words(ins.Args, escape)
	s := &stage{index: index, from: ins, flags: flags}
	switch {
	case len(words) == 1:
	case len(words) == 3 && strings.EqualFold(words[1], "as"):
		s.name = strings.ToLower(words[2])
		if !validStageName(s.name) {
			return nil, fmt.Errorf("invalid stage name %q: expected letters, digits, '-', '_' or '.', starting with a letter", words[2])
		}
	default:
		return nil, fmt.Errorf("FROM %s: expected FROM [--platform=...] IMAGE [AS NAME]", ins.Args)
	}
	s.base = words[0]
	return s, nil
}

func validStageName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// lookup returns the stage a FROM or --from value names among the stages
// before index: by name, or by position for a number.
func (p *plan) lookup(ref string, before int) *stage {
	ref = strings.ToLower(ref)
	for _, s := range p.stages[:before] {
		if s.name != "" && s.name == ref {
			return s
		}
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < before {
		return p.stages[n]
	}
	return nil
}

// link records which stages each stage reads.
func (p *plan) link() error {
	for _, s := range p.stages {
		if dep := p.lookup(s.base, s.index); dep != nil && !strings.Contains(s.base, "$") {
			s.deps = append(s.deps, dep.index)
		}
		for _, ins := range s.body {
			if ins.Command != "copy" {
				continue
			}
			for _, f := range ins.Flags {
				from, ok := strings.CutPrefix(f, "--from=")
				if !ok {
					continue
				}
				if dep := p.lookup(from, s.index); dep != nil {
					s.deps = append(s.deps, dep.index)
				} else if n, err := strconv.Atoi(from); err == nil {
					return lineError(ins, fmt.Errorf("--from=%d: no stage %d before this one", n, n))
				}
			}
		}
	}
	return nil
}

func (p *plan) selectTarget(target string) error {
	p.target = p.stages[len(p.stages)-1]
	if target != "" {
		p.target = nil
		for _, s := range p.stages {
			if s.name == strings.ToLower(target) {
				p.target = s
			}
		}
		if p.target == nil {
			return fmt.Errorf("%w: %s", ErrTarget, target)
		}
	}
	var mark func(*stage)
	mark = func(s *stage) {
		if s.needed {
			return
		}
		s.needed = true
		for _, d := range s.deps {
			mark(p.stages[d])
		}
	}
	mark(p.target)
	for _, s := range p.stages {
		if s.needed {
			p.order = append(p.order, s)
		}
	}
	return nil
}

// steps is the number of instructions the build will run, FROMs included,
// as the "Step n/N" lines count them.
func (p *plan) steps() int {
	n := 0
	for _, s := range p.order {
		n += 1 + len(s.body)
	}
	return n
}

func lineError(ins *dockerfile.Instruction, err error) error {
	return fmt.Errorf("Dockerfile:%d: %w", ins.Line, err)
}
