package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Profile is a system call policy in Docker's JSON profile format. Only
// the native architecture's calls are filtered: a call made through
// another ABI (i386's int 0x80, x32) gets the profile's default action
// when that denies, and EPERM when it allows, since the profile's numbers
// would not mean the same calls there.
type Profile struct {
	DefaultAction   string    `json:"defaultAction"`
	DefaultErrnoRet *uint32   `json:"defaultErrnoRet,omitempty"`
	Architectures   []string  `json:"architectures,omitempty"`
	ArchMap         []ArchMap `json:"archMap,omitempty"`
	Syscalls        []Rule    `json:"syscalls,omitempty"`
	Flags           []string  `json:"flags,omitempty"`
	ListenerPath    string    `json:"listenerPath,omitempty"`
	ListenerMeta    string    `json:"listenerMetadata,omitempty"`
}

// ArchMap lists an architecture with the ones its kernel also runs.
type ArchMap struct {
	Architecture     string   `json:"architecture"`
	SubArchitectures []string `json:"subArchitectures,omitempty"`
}

// Rule gives the calls Names (or the single Name) an action, when Args all
// hold and the container matches Includes and not Excludes.
type Rule struct {
	Name     string   `json:"name,omitempty"`
	Names    []string `json:"names,omitempty"`
	Action   string   `json:"action"`
	ErrnoRet *uint32  `json:"errnoRet,omitempty"`
	Args     []Arg    `json:"args,omitempty"`
	Comment  string   `json:"comment,omitempty"`
	Includes Filters  `json:"includes,omitempty"`
	Excludes Filters  `json:"excludes,omitempty"`
}

// Arg compares one argument: Value is the operand, or the mask for
// SCMP_CMP_MASKED_EQ, whose expected value is ValueTwo.
type Arg struct {
	Index    uint   `json:"index"`
	Value    uint64 `json:"value"`
	ValueTwo uint64 `json:"valueTwo,omitempty"`
	Op       string `json:"op"`
}

// Filters select the containers a rule is for.
type Filters struct {
	Arches    []string `json:"arches,omitempty"`
	Caps      []string `json:"caps,omitempty"`
	MinKernel string   `json:"minKernel,omitempty"`
}

var actions = map[string]bool{
	"SCMP_ACT_KILL": true, "SCMP_ACT_KILL_THREAD": true, "SCMP_ACT_KILL_PROCESS": true,
	"SCMP_ACT_TRAP": true, "SCMP_ACT_ERRNO": true, "SCMP_ACT_TRACE": true,
	"SCMP_ACT_ALLOW": true, "SCMP_ACT_LOG": true,
}

var ops = map[string]bool{
	"SCMP_CMP_NE": true, "SCMP_CMP_LT": true, "SCMP_CMP_LE": true, "SCMP_CMP_EQ": true,
	"SCMP_CMP_GE": true, "SCMP_CMP_GT": true, "SCMP_CMP_MASKED_EQ": true,
}

var filterFlags = map[string]bool{
	"SECCOMP_FILTER_FLAG_TSYNC": true, "SECCOMP_FILTER_FLAG_LOG": true, "SECCOMP_FILTER_FLAG_SPEC_ALLOW": true,
}

// archNames are the spellings of each architecture that profiles use:
// libseccomp's in architectures and archMap, Go's in includes and excludes.
var archNames = map[string][]string{
	"amd64": {"SCMP_ARCH_X86_64", "amd64"}, "386": {"SCMP_ARCH_X86", "x86", "386"},
	"x32": {"SCMP_ARCH_X32", "x32"}, "arm64": {"SCMP_ARCH_AARCH64", "arm64"},
	"arm": {"SCMP_ARCH_ARM", "arm"}, "mips": {"SCMP_ARCH_MIPS", "mips"},
	"mipsle": {"SCMP_ARCH_MIPSEL", "mipsle", "mipsel"}, "mips64": {"SCMP_ARCH_MIPS64", "mips64"},
	"mips64n32": {"SCMP_ARCH_MIPS64N32", "mips64n32"}, "mips64le": {"SCMP_ARCH_MIPSEL64", "mips64le", "mipsel64"},
	"mips64len32": {"SCMP_ARCH_MIPSEL64N32", "mips64len32", "mipsel64n32"}, "ppc": {"SCMP_ARCH_PPC", "ppc"},
	"ppc64": {"SCMP_ARCH_PPC64", "ppc64"}, "ppc64le": {"SCMP_ARCH_PPC64LE", "ppc64le"},
	"s390": {"SCMP_ARCH_S390", "s390"}, "s390x": {"SCMP_ARCH_S390X", "s390x"},
	"riscv64": {"SCMP_ARCH_RISCV64", "riscv64"}, "loong64": {"SCMP_ARCH_LOONGARCH64", "loong64"},
}

func knownArch(name string) bool {
	for _, names := range archNames {
		if slices.Contains(names, name) {
			return true
		}
	}
	return false
}

func isNativeArch(name string) bool { return slices.Contains(archNames[runtime.GOARCH], name) }

// ParseProfile reads a profile and reports every problem found, each with
// its JSON path (syscalls[3].args[0].op). Call names unknown on this
// architecture are accepted and ignored, as Docker does: its profiles list
// the calls of every architecture.
func ParseProfile(data []byte) (*Profile, error) {
	type plain Profile // without the rules, decoded one by one for their paths
	var p Profile
	top := struct {
		*plain
		Syscalls []json.RawMessage `json:"syscalls"`
	}{plain: (*plain)(&p)}
	if err := strictDecode(data, &top); err != nil {
		return nil, decodeError(data, err, "")
	}
	var errs []error
	for i, raw := range top.Syscalls {
		var r Rule
		if err := strictDecode(raw, &r); err != nil {
			errs = append(errs, decodeError(nil, err, fmt.Sprintf("syscalls[%d]", i)))
		}
		p.Syscalls = append(p.Syscalls, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the profile")
	}
	return nil
}

// decodeError says where a JSON error is: the line and column in data
// when given, and the JSON path below prefix.
func decodeError(data []byte, err error, prefix string) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	where := prefix
	switch {
	case errors.As(err, &syntax):
		if data != nil {
			line, col := position(data, syntax.Offset-1) // Offset is just past the fault
			where = fmt.Sprintf("%d:%d", line, col)
		}
		err = syntax
	case errors.As(err, &typ):
		path := typ.Field
		if prefix != "" {
			path = prefix + "." + path
		}
		if data != nil {
			line, col := position(data, typ.Offset)
			path = fmt.Sprintf("%d:%d: %s", line, col, path)
		}
		return fmt.Errorf("%s: expected %s, got a JSON %s", path, typ.Type, typ.Value)
	default:
		err = errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if where == "" {
		return err
	}
	return fmt.Errorf("%s: %w", where, err)
}

func position(data []byte, offset int64) (int, int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	return line, int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
}

// problems collects validation errors, each with its JSON path.
type problems []error

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, fmt.Errorf("%s: "+format, append([]any{path}, args...)...))
}

func (ps *problems) action(path, a string) {
	switch {
	case a == "SCMP_ACT_NOTIFY":
		ps.add(path, "SCMP_ACT_NOTIFY is not supported: it needs a listener outside the container")
	case !actions[a]:
		ps.add(path, "unknown action %q: expected one of %s", a, strings.Join(sortedKeys(actions), ", "))
	}
}

func (ps *problems) arch(path, a string) {
	if !knownArch(a) {
		ps.add(path, "unknown architecture %q", a)
	}
}

func (p *Profile) validate() error {
	var ps problems
	ps.action("defaultAction", p.DefaultAction)
	if p.ListenerPath != "" {
		ps.add("listenerPath", "seccomp notification listeners are not supported")
	}
	for i, a := range p.Architectures {
		ps.arch(fmt.Sprintf("architectures[%d]", i), a)
	}
	for i, m := range p.ArchMap {
		ps.arch(fmt.Sprintf("archMap[%d].architecture", i), m.Architecture)
		for j, a := range m.SubArchitectures {
			ps.arch(fmt.Sprintf("archMap[%d].subArchitectures[%d]", i, j), a)
		}
	}
	for i, f := range p.Flags {
		if !filterFlags[f] {
			ps.add(fmt.Sprintf("flags[%d]", i), "unknown flag %q: expected one of %s", f, strings.Join(sortedKeys(filterFlags), ", "))
		}
	}
	for i, r := range p.Syscalls {
		r.validate(fmt.Sprintf("syscalls[%d]", i), &ps)
	}
	return errors.Join(ps...)
}

func (r Rule) validate(path string, ps *problems) {
	if r.Name == "" && len(r.Names) == 0 {
		ps.add(path, "names: expected at least one system call name")
	}
	for j, n := range r.Names {
		if n == "" {
			ps.add(fmt.Sprintf("%s.names[%d]", path, j), "empty system call name")
		}
	}
	ps.action(path+".action", r.Action)
	for j, a := range r.Args {
		apath := fmt.Sprintf("%s.args[%d]", path, j)
		if a.Index > 5 {
			ps.add(apath+".index", "%d: a system call has arguments 0 to 5", a.Index)
		}
		if !ops[a.Op] {
			ps.add(apath+".op", "unknown operator %q: expected one of %s", a.Op, strings.Join(sortedKeys(ops), ", "))
		}
	}
	r.Includes.validate(path+".includes", ps)
	r.Excludes.validate(path+".excludes", ps)
}

func (f Filters) validate(path string, ps *problems) {
	for j, a := range f.Arches {
		ps.arch(fmt.Sprintf("%s.arches[%d]", path, j), a)
	}
	for j, c := range f.Caps {
		if !strings.HasPrefix(c, "CAP_") {
			ps.add(fmt.Sprintf("%s.caps[%d]", path, j), "%q: expected a capability name such as CAP_SYS_ADMIN", c)
		}
	}
	if f.MinKernel != "" {
		if _, ok := parseKernel(f.MinKernel); !ok {
			ps.add(path+".minKernel", "%q: expected a kernel version such as 5.8", f.MinKernel)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// parseKernel reads "major.minor" from a version such as "6.18.0-1-amd64".
func parseKernel(v string) ([2]int, bool) {
	var out [2]int
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return out, false
	}
	for i := range 2 {
		digits := parts[i]
		if end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); end >= 0 {
			digits = digits[:end]
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
