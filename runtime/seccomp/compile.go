package seccomp

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Compile builds the filter of p for a container holding caps (names such
// as "CAP_SYS_ADMIN"), on the running kernel. For one call, the rules with
// arguments are tried in the profile's order, then the first rule without
// any; a call no rule matches gets the default action.
func (p *Profile) Compile(caps []string) (Filter, error) {
	if nativeArch == 0 {
		return nil, ErrUnsupportedArch
	}
	if !p.hasNativeArch() {
		return nil, fmt.Errorf("seccomp: the profile's architectures do not include this machine's (%s)", archNames[runtime.GOARCH][0])
	}
	kernel := runningKernel()
	def := actionRet(p.DefaultAction, p.DefaultErrnoRet)
	foreign := def
	if p.DefaultAction == "SCMP_ACT_ALLOW" || p.DefaultAction == "SCMP_ACT_LOG" || p.DefaultAction == "SCMP_ACT_TRACE" {
		foreign = retEPERM
	}
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offArch, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: nativeArch, SkipTrue: 1},
		foreign,
		bpf.LoadAbsolute{Off: offNr, Size: 4},
	}
	if syscallBitMask != 0 {
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpBitsNotSet, Val: syscallBitMask, SkipTrue: 1}, foreign)
	}
	calls, order := p.rulesByCall(caps, kernel)
	for _, name := range order {
		body, err := callBody(calls[name], def)
		if err != nil {
			return nil, fmt.Errorf("seccomp: %s: %w", name, err)
		}
		if len(body) > 255 {
			return nil, fmt.Errorf("seccomp: %s: too many argument rules to jump over (%d instructions)", name, len(body))
		}
		nr, _ := syscallNumber(name) // calls holds known names only
		prog = append(prog, guard(nr, body)...)
	}
	prog = append(prog, def)
	if len(prog) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("seccomp: the profile needs %d instructions, more than the kernel's %d", len(prog), unix.BPF_MAXINSNS)
	}
	return assemble(prog)
}

func (p *Profile) hasNativeArch() bool {
	if len(p.Architectures) == 0 && len(p.ArchMap) == 0 {
		return true // libseccomp's default: the native architecture
	}
	if slices.ContainsFunc(p.Architectures, isNativeArch) {
		return true
	}
	return slices.ContainsFunc(p.ArchMap, func(m ArchMap) bool { return isNativeArch(m.Architecture) })
}

// rulesByCall keeps the rules that apply to this container, by call name,
// and the names in the order they first appear.
func (p *Profile) rulesByCall(caps []string, kernel [2]int) (map[string][]Rule, []string) {
	calls := map[string][]Rule{}
	var order []string
	for _, r := range p.Syscalls {
		if !r.appliesTo(caps, kernel) {
			continue
		}
		names := r.Names
		if r.Name != "" {
			names = append([]string{r.Name}, names...)
		}
		for _, n := range names {
			if _, ok := syscallNumber(n); !ok {
				continue // not a call of this architecture
			}
			if _, seen := calls[n]; !seen {
				order = append(order, n)
			}
			calls[n] = append(calls[n], r)
		}
	}
	return calls, order
}

// appliesTo follows Docker: every included capability must be held, no
// excluded one may be, and the architectures and kernel must match.
func (r Rule) appliesTo(caps []string, kernel [2]int) bool {
	in, ex := r.Includes, r.Excludes
	if len(in.Arches) > 0 && !slices.ContainsFunc(in.Arches, isNativeArch) {
		return false
	}
	if slices.ContainsFunc(ex.Arches, isNativeArch) {
		return false
	}
	for _, c := range in.Caps {
		if !slices.Contains(caps, c) {
			return false
		}
	}
	if slices.ContainsFunc(ex.Caps, func(c string) bool { return slices.Contains(caps, c) }) {
		return false
	}
	if v, ok := parseKernel(in.MinKernel); ok && (kernel[0] < v[0] || kernel[0] == v[0] && kernel[1] < v[1]) {
		return false
	}
	if v, ok := parseKernel(ex.MinKernel); ok && !(kernel[0] < v[0] || kernel[0] == v[0] && kernel[1] < v[1]) {
		return false
	}
	return true
}

// callBody decides one call once its number matched; it ends in a return.
func callBody(rules []Rule, def bpf.RetConstant) ([]bpf.Instruction, error) {
	var body []bpf.Instruction
	final := def
	unconditional := false
	for _, r := range rules {
		ret := actionRet(r.Action, r.ErrnoRet)
		if len(r.Args) == 0 {
			if !unconditional {
				final, unconditional = ret, true
			}
			continue
		}
		rule, err := argsRule(r.Args, ret)
		if err != nil {
			return nil, err
		}
		body = append(body, rule...)
	}
	return append(body, final), nil
}

// argsRule returns ret when every comparison holds, and otherwise falls
// through to the instruction after it.
func argsRule(args []Arg, ret bpf.RetConstant) ([]bpf.Instruction, error) {
	out := []bpf.Instruction{ret}
	for i := len(args) - 1; i >= 0; i-- {
		cond, err := compare(args[i], len(out))
		if err != nil {
			return nil, err
		}
		out = append(cond, out...)
	}
	return out, nil
}

// Jump targets inside compare, resolved by place.
const (
	next = -1 // the comparison holds: go on after it
	fail = -2 // it does not: skip the rest of the rule
)

// compare checks one 64-bit argument with the 32-bit accumulator, high
// word first; after is how many instructions the rule has after it.
func compare(a Arg, after int) ([]bpf.Instruction, error) {
	code, targets, err := comparison(a)
	if err != nil {
		return nil, err
	}
	for i, t := range targets {
		j, ok := code[i].(bpf.JumpIf)
		if !ok {
			continue
		}
		skip := func(target int) (uint8, error) {
			n := 0
			switch target {
			case next:
				n = len(code) - 1 - i
			case fail:
				n = len(code) - 1 - i + after
			}
			if n > 255 {
				return 0, fmt.Errorf("argument rule too long to jump over (%d instructions)", n)
			}
			return uint8(n), nil
		}
		if j.SkipTrue, err = skip(t[0]); err != nil {
			return nil, err
		}
		if j.SkipFalse, err = skip(t[1]); err != nil {
			return nil, err
		}
		code[i] = j
	}
	return code, nil
}

// comparison is the code of a comparison with its jumps' targets (true,
// false) still symbolic: next, fail, or 0 for the following instruction.
func comparison(a Arg) ([]bpf.Instruction, [][2]int, error) {
	lo := uint32(offArg0 + 8*a.Index)
	hi := lo + 4
	vlo, vhi := uint32(a.Value), uint32(a.Value>>32)
	var code []bpf.Instruction
	var targets [][2]int
	emit := func(in bpf.Instruction, t, f int) {
		code, targets = append(code, in), append(targets, [2]int{t, f})
	}
	ld := func(off uint32) { emit(bpf.LoadAbsolute{Off: off, Size: 4}, 0, 0) }
	jump := func(cond bpf.JumpTest, val uint32, t, f int) { emit(bpf.JumpIf{Cond: cond, Val: val}, t, f) }
	and := func(mask uint32) { emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask}, 0, 0) }
	const stay = 0
	switch a.Op {
	case "SCMP_CMP_EQ":
		ld(hi)
		jump(bpf.JumpEqual, vhi, stay, fail)
		ld(lo)
		jump(bpf.JumpEqual, vlo, next, fail)
	case "SCMP_CMP_NE":
		ld(hi)
		jump(bpf.JumpEqual, vhi, stay, next)
		ld(lo)
		jump(bpf.JumpEqual, vlo, fail, next)
	case "SCMP_CMP_MASKED_EQ":
		ld(hi)
		and(vhi)
		jump(bpf.JumpEqual, uint32(a.ValueTwo>>32), stay, fail)
		ld(lo)
		and(vlo)
		jump(bpf.JumpEqual, uint32(a.ValueTwo), next, fail)
	case "SCMP_CMP_GT", "SCMP_CMP_GE":
		ld(hi)
		jump(bpf.JumpGreaterThan, vhi, next, stay)
		jump(bpf.JumpEqual, vhi, stay, fail)
		ld(lo)
		last := bpf.JumpGreaterThan
		if a.Op == "SCMP_CMP_GE" {
			last = bpf.JumpGreaterOrEqual
		}
		jump(last, vlo, next, fail)
	case "SCMP_CMP_LT", "SCMP_CMP_LE": // the negations of GE and GT
		ld(hi)
		jump(bpf.JumpGreaterThan, vhi, fail, stay)
		jump(bpf.JumpEqual, vhi, stay, next)
		ld(lo)
		last := bpf.JumpGreaterOrEqual
		if a.Op == "SCMP_CMP_LE" {
			last = bpf.JumpGreaterThan
		}
		jump(last, vlo, fail, next)
	default:
		return nil, nil, fmt.Errorf("unknown operator %q", a.Op)
	}
	return code, targets, nil
}

// actionRet is the filter's return value for a profile action.
func actionRet(action string, errnoRet *uint32) bpf.RetConstant {
	data := uint32(unix.EPERM)
	if errnoRet != nil {
		data = *errnoRet
	}
	switch action {
	case "SCMP_ACT_ALLOW":
		return retAllow
	case "SCMP_ACT_LOG":
		return bpf.RetConstant{Val: unix.SECCOMP_RET_LOG}
	case "SCMP_ACT_ERRNO":
		return bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | data&unix.SECCOMP_RET_DATA}
	case "SCMP_ACT_TRACE":
		return bpf.RetConstant{Val: unix.SECCOMP_RET_TRACE | data&unix.SECCOMP_RET_DATA}
	case "SCMP_ACT_TRAP":
		return bpf.RetConstant{Val: unix.SECCOMP_RET_TRAP}
	case "SCMP_ACT_KILL_PROCESS":
		return bpf.RetConstant{Val: unix.SECCOMP_RET_KILL_PROCESS}
	}
	return bpf.RetConstant{Val: unix.SECCOMP_RET_KILL_THREAD} // SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD
}

func runningKernel() [2]int {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return [2]int{}
	}
	v, _ := parseKernel(strings.TrimRight(string(u.Release[:]), "\x00"))
	return v
}
