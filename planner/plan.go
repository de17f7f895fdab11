package planner

import (
	"fmt"
	"sort"
	"strings"
)

// Node is one action in the plan's DAG.
type Node struct {
	ID     int // 1-based, in insertion order, which is a topological order
	Action Action
	Cause  string // why the action is needed
	Deps   []int  // IDs of the nodes that must succeed first
	// Group ties together the nodes of one user-level step, such as the
	// four nodes of "recreate web-1".
	Group string
	// Optional nodes may fail without failing their dependents (a
	// dependency with required: false).
	Optional bool
}

// Plan is what it takes to bring the host in line with the project: a DAG
// of actions, the warnings found on the way and a per-service summary.
type Plan struct {
	Nodes    []*Node
	Warnings []string
	Services []ServiceSummary
}

// ServiceSummary counts what the plan does to one service's containers.
type ServiceSummary struct {
	Service   string
	Create    int
	Recreate  int
	Start     int
	Remove    int
	Unchanged int
}

// Empty reports whether the plan has nothing to do.
func (p *Plan) Empty() bool { return len(p.Nodes) == 0 }

func (p *Plan) add(a Action, cause string, deps ...int) *Node {
	n := &Node{ID: len(p.Nodes) + 1, Action: a, Cause: cause, Deps: uniqueSorted(deps)}
	p.Nodes = append(p.Nodes, n)
	return n
}

// Node returns the node with the given ID.
func (p *Plan) Node(id int) *Node { return p.Nodes[id-1] }

// String prints one line per node: its ID, action, subject, cause,
// dependencies and group. It is deterministic and serves as the debug view
// and the oracle of the planner's golden tests.
func (p *Plan) String() string {
	var b strings.Builder
	for _, n := range p.Nodes {
		fmt.Fprintf(&b, "#%d %s %s: %s", n.ID, n.Action.Kind(), n.Action.Subject(), n.Cause)
		if len(n.Deps) > 0 {
			b.WriteString(" (after")
			for _, d := range n.Deps {
				fmt.Fprintf(&b, " #%d", d)
			}
			b.WriteString(")")
		}
		if n.Group != "" {
			fmt.Fprintf(&b, " [%s]", n.Group)
		}
		if n.Optional {
			b.WriteString(" optional")
		}
		b.WriteByte('\n')
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

// Steps returns the plan as a user reads it: one line per step with its
// cause, the nodes of a group (a recreate) folded into one line.
func (p *Plan) Steps() []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range p.Nodes {
		if n.Group != "" {
			if seen[n.Group] {
				continue
			}
			seen[n.Group] = true
			out = append(out, n.Group+": "+n.Cause)
			continue
		}
		out = append(out, fmt.Sprintf("%s %s: %s", n.Action.Kind(), n.Action.Subject(), n.Cause))
	}
	return out
}

// Filter returns the sub-plan of the nodes keep accepts, with the nodes
// renumbered and edges to dropped nodes removed. up uses it to build and
// pull images before it plans the containers that run them.
func (p *Plan) Filter(keep func(*Node) bool) *Plan {
	out := &Plan{Warnings: p.Warnings}
	newID := map[int]int{}
	for _, n := range p.Nodes {
		if !keep(n) {
			continue
		}
		var deps []int
		for _, d := range n.Deps {
			if id, ok := newID[d]; ok {
				deps = append(deps, id)
			}
		}
		m := out.add(n.Action, n.Cause, deps...)
		m.Group, m.Optional = n.Group, n.Optional
		newID[n.ID] = m.ID
	}
	return out
}

// HasImageActions reports whether the plan builds or pulls an image.
func (p *Plan) HasImageActions() bool {
	for _, n := range p.Nodes {
		if k := n.Action.Kind(); k == KindBuildImage || k == KindPullImage {
			return true
		}
	}
	return false
}

func uniqueSorted(ids []int) []int {
	if len(ids) == 0 {
		return nil
	}
	out := append([]int(nil), ids...)
	sort.Ints(out)
	j := 0
	for i, id := range out {
		if id <= 0 || (i > 0 && id == out[i-1]) {
			continue
		}
		out[j] = id
		j++
	}
	if j == 0 {
		return nil
	}
	return out[:j]
}
