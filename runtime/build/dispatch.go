package build

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"stack/runtime/build/dockerfile"
)

// dispatch runs one instruction of a stage.
func (r *run) dispatch(ctx context.Context, st *stageState, ins *dockerfile.Instruction) error {
	accepted := map[string][]string{
		"copy": {"from", "chown", "chmod", "link"}, "add": {"chown", "chmod", "link"},
		"healthcheck": {"interval", "timeout", "start-period", "retries"},
	}
	flags, err := parseFlags(ins, accepted[ins.Command]...)
	if err != nil {
		return err
	}
	var ch *change
	switch ins.Command {
	case "arg":
		ch, err = r.arg(st, ins)
	case "env":
		ch, err = r.env(st, ins)
	case "label":
		ch, err = r.label(st, ins)
	case "maintainer":
		ch = &change{createdBy: nopCreatedBy(st, "MAINTAINER "+ins.Args),
			config: func(cf *v1.ConfigFile) { cf.Author = ins.Args }}
	case "workdir":
		ch, err = r.workdir(st, ins)
	case "user", "stopsignal":
		ch, err = r.single(st, ins)
	case "expose":
		ch, err = r.expose(st, ins)
	case "volume":
		ch, err = r.volume(st, ins)
	case "cmd", "entrypoint":
		ch, err = r.command(st, ins)
	case "shell":
		ch, err = shellChange(st, ins)
	case "healthcheck":
		ch, err = healthcheck(st, ins, flags)
	case "onbuild":
		ch, err = onbuild(st, ins)
	case "copy", "add":
		ch, err = r.copy(ctx, st, ins, flags)
	case "run":
		ch, err = r.runStep(st, ins)
	case "from":
		err = fmt.Errorf("FROM is not allowed here")
	}
	if err != nil {
		return err
	}
	return r.commit(ctx, st, ch)
}

func (r *run) arg(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	if err := r.declareArgs(st.args, r.globals, ins, st.cfg.Config.Env); err != nil {
		return nil, err
	}
	return &change{createdBy: nopCreatedBy(st, "ARG "+strings.Join(dockerfile.Words(ins.Args, r.plan.escape), " "))}, nil
}

// pairs expands the name=value pairs of ENV and LABEL.
func (r *run) pairs(st *stageState, ins *dockerfile.Instruction) ([][2]string, error) {
	kvs, err := dockerfile.KeyValues(ins.Args, r.plan.escape, ins.Command)
	if err != nil {
		return nil, err
	}
	out := make([][2]string, 0, len(kvs))
	for _, kv := range kvs {
		k, err := r.expand(kv.Key, st.args, st.cfg.Config.Env)
		if err != nil {
			return nil, err
		}
		v, err := r.expand(kv.Value, st.args, st.cfg.Config.Env)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func (r *run) env(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	pairs, err := r.pairs(st, ins)
	if err != nil {
		return nil, err
	}
	text := "ENV"
	for _, p := range pairs {
		text += " " + p[0] + "=" + p[1]
	}
	// The stage's own environment changes at once: later expansions see it
	// whether or not the step comes from the cache.
	return &change{createdBy: nopCreatedBy(st, text), config: func(cf *v1.ConfigFile) {
		for _, p := range pairs {
			cf.Config.Env = setEnv(cf.Config.Env, p[0], p[1])
		}
	}}, nil
}

func setEnv(env []string, key, value string) []string {
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}

func (r *run) label(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	pairs, err := r.pairs(st, ins)
	if err != nil {
		return nil, err
	}
	text := "LABEL"
	for _, p := range pairs {
		text += " " + p[0] + "=" + p[1]
	}
	return &change{createdBy: nopCreatedBy(st, text), config: func(cf *v1.ConfigFile) {
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		for _, p := range pairs {
			cf.Config.Labels[p[0]] = p[1]
		}
	}}, nil
}

// single handles the instructions that take one expanded word.
func (r *run) single(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	if strings.TrimSpace(ins.Args) == "" {
		return nil, fmt.Errorf("%s requires exactly one argument", strings.ToUpper(ins.Command))
	}
	v, err := r.expand(strings.TrimSpace(ins.Args), st.args, st.cfg.Config.Env)
	if err != nil {
		return nil, err
	}
	if ins.Command == "user" {
		return &change{createdBy: nopCreatedBy(st, "USER "+v),
			config: func(cf *v1.ConfigFile) { cf.Config.User = v }}, nil
	}
	if err := checkSignal(v); err != nil {
		return nil, err
	}
	return &change{createdBy: nopCreatedBy(st, "STOPSIGNAL "+v),
		config: func(cf *v1.ConfigFile) { cf.Config.StopSignal = v }}, nil
}

var signals = map[string]bool{
	"ABRT": true, "ALRM": true, "BUS": true, "CHLD": true, "CONT": true, "FPE": true, "HUP": true,
	"ILL": true, "INT": true, "IO": true, "IOT": true, "KILL": true, "PIPE": true, "POLL": true,
	"PROF": true, "PWR": true, "QUIT": true, "SEGV": true, "STKFLT": true, "STOP": true, "SYS": true,
	"TERM": true, "TRAP": true, "TSTP": true, "TTIN": true, "TTOU": true, "URG": true, "USR1": true,
	"USR2": true, "VTALRM": true, "WINCH": true, "XCPU": true, "XFSZ": true,
}

func checkSignal(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return fmt.Errorf("invalid signal %s: expected 1 to 64", s)
		}
		return nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if signals[name] || strings.HasPrefix(name, "RTMIN") || strings.HasPrefix(name, "RTMAX") {
		return nil
	}
	return fmt.Errorf("invalid signal %q: expected a name such as SIGTERM or a number", s)
}

func (r *run) expose(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	var ports, keys []string
	for _, w := range dockerfile.Words(ins.Args, r.plan.escape) {
		words, err := r.lex.ProcessWords(w, st.args.env(st.cfg.Config.Env))
		if err != nil {
			return nil, err
		}
		for _, p := range words {
			k, err := portKeys(p)
			if err != nil {
				return nil, err
			}
			ports, keys = append(ports, p), append(keys, k...)
		}
	}
	if len(ports) == 0 {
		return nil, fmt.Errorf("EXPOSE requires at least one argument")
	}
	return &change{createdBy: nopCreatedBy(st, "EXPOSE "+strings.Join(ports, " ")), config: func(cf *v1.ConfigFile) {
		if cf.Config.ExposedPorts == nil {
			cf.Config.ExposedPorts = map[string]struct{}{}
		}
		for _, k := range keys {
			cf.Config.ExposedPorts[k] = struct{}{}
		}
	}}, nil
}

// portKeys turns "80", "53/udp" or "8000-8002/tcp" into "80/tcp" keys.
func portKeys(spec string) ([]string, error) {
	ports, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("EXPOSE %s: invalid protocol %q: expected tcp, udp or sctp", spec, proto)
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	first, err1 := strconv.ParseUint(lo, 10, 16)
	last := first
	var err2 error
	if isRange {
		last, err2 = strconv.ParseUint(hi, 10, 16)
	}
	if err1 != nil || err2 != nil || first == 0 || last < first {
		return nil, fmt.Errorf("EXPOSE %s: invalid port: expected PORT[-PORT][/PROTOCOL]", spec)
	}
	var out []string
	for p := first; p <= last; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, proto))
	}
	return out, nil
}

func (r *run) volume(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	words := ins.JSON
	if !ins.IsJSON {
		words = dockerfile.Words(ins.Args, r.plan.escape)
	}
	var vols []string
	for _, w := range words {
		v, err := r.expand(w, st.args, st.cfg.Config.Env)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("VOLUME specified can not be an empty string")
		}
		vols = append(vols, v)
	}
	if len(vols) == 0 {
		return nil, fmt.Errorf("VOLUME requires at least one argument")
	}
	return &change{createdBy: nopCreatedBy(st, fmt.Sprintf("VOLUME %v", vols)), config: func(cf *v1.ConfigFile) {
		if cf.Config.Volumes == nil {
			cf.Config.Volumes = map[string]struct{}{}
		}
		for _, v := range vols {
			cf.Config.Volumes[v] = struct{}{}
		}
	}}, nil
}

// cmdLine is an instruction's command: the exec form as written, or the
// shell form wrapped in the stage's SHELL.
func cmdLine(st *stageState, ins *dockerfile.Instruction) []string {
	if ins.IsJSON {
		return ins.JSON
	}
	return append(append([]string(nil), st.shell()...), ins.Args)
}

func (r *run) command(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	cmd := cmdLine(st, ins)
	if ins.Command == "cmd" {
		if !ins.IsJSON || len(ins.JSON) > 0 {
			st.cmdSet = true
		}
		return &change{createdBy: nopCreatedBy(st, fmt.Sprintf("CMD %q", cmd)),
			config: func(cf *v1.ConfigFile) { cf.Config.Cmd = cmd }}, nil
	}
	keepCmd := st.cmdSet
	return &change{createdBy: nopCreatedBy(st, fmt.Sprintf("ENTRYPOINT %q", cmd)), config: func(cf *v1.ConfigFile) {
		cf.Config.Entrypoint = cmd
		if !keepCmd {
			cf.Config.Cmd = nil
		}
	}}, nil
}

func shellChange(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	if !ins.IsJSON || len(ins.JSON) == 0 {
		return nil, fmt.Errorf(`SHELL requires the JSON form, for example SHELL ["/bin/bash", "-c"]`)
	}
	sh := ins.JSON
	return &change{createdBy: nopCreatedBy(st, fmt.Sprintf("SHELL %v", sh)),
		config: func(cf *v1.ConfigFile) { cf.Config.Shell = sh }}, nil
}

func healthcheck(st *stageState, ins *dockerfile.Instruction, flags flagSet) (*change, error) {
	hc := &v1.HealthConfig{}
	kind, rest, _ := strings.Cut(strings.TrimSpace(ins.Args), " ")
	switch strings.ToUpper(kind) {
	case "NONE":
		if len(flags) > 0 || strings.TrimSpace(rest) != "" {
			return nil, fmt.Errorf("HEALTHCHECK NONE takes no other argument")
		}
		hc.Test = []string{"NONE"}
	case "CMD":
		sub := &dockerfile.Instruction{Command: "cmd", Args: strings.TrimSpace(rest)}
		if strings.HasPrefix(sub.Args, "[") {
			if f, err := dockerfile.Parse(strings.NewReader("CMD " + sub.Args)); err == nil {
				sub = f.Instructions[0]
			}
		}
		if sub.IsJSON {
			hc.Test = append([]string{"CMD"}, sub.JSON...)
		} else {
			hc.Test = []string{"CMD-SHELL", sub.Args}
		}
		if err := healthFlags(hc, flags); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("HEALTHCHECK %s: expected CMD or NONE", kind)
	}
	return &change{createdBy: nopCreatedBy(st, fmt.Sprintf("HEALTHCHECK &{%q %q %q %q %q}",
		hc.Test, hc.Interval.String(), hc.Timeout.String(), hc.StartPeriod.String(), rune(hc.Retries))),
		config: func(cf *v1.ConfigFile) { cf.Config.Healthcheck = hc }}, nil
}

func healthFlags(hc *v1.HealthConfig, flags flagSet) error {
	for name, dst := range map[string]*time.Duration{"interval": &hc.Interval, "timeout": &hc.Timeout, "start-period": &hc.StartPeriod} {
		v, ok := flags[name]
		if !ok {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil || (d != 0 && d < time.Millisecond) {
			return fmt.Errorf("--%s=%s: expected a duration of at least 1ms such as 30s", name, v)
		}
		*dst = d
	}
	if v, ok := flags["retries"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("--retries=%s: expected a number of at least 0", v)
		}
		hc.Retries = n
	}
	return nil
}

func onbuild(st *stageState, ins *dockerfile.Instruction) (*change, error) {
	f, err := dockerfile.Parse(strings.NewReader(ins.Args))
	if err != nil || len(f.Instructions) != 1 {
		return nil, fmt.Errorf("ONBUILD %s: expected one instruction", ins.Args)
	}
	inner := f.Instructions[0]
	switch inner.Command {
	case "onbuild", "from", "maintainer":
		return nil, fmt.Errorf("%s isn't allowed as an ONBUILD trigger", strings.ToUpper(inner.Command))
	}
	trigger := strings.ToUpper(inner.Command) + strings.TrimPrefix(inner.Original, inner.Original[:len(inner.Command)])
	return &change{createdBy: nopCreatedBy(st, "ONBUILD "+trigger),
		config: func(cf *v1.ConfigFile) { cf.Config.OnBuild = append(cf.Config.OnBuild, trigger) }}, nil
}
