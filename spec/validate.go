package spec

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// posOf returns where path (or its nearest parent) was written: the key
// for a mapping, the value otherwise. It walks the tree on demand, as
// positions are needed only when there is something to report.
func (l *loader) posOf(path string) pos {
	_, at := l.lookupNode(path)
	return at
}

// lookupNode finds the node at a key path such as
// services.web.depends_on.db or services.web.volumes[1]; a key applied to
// a list matches the item with that value (the list form of depends_on
// and networks). It returns nil and the nearest parent's position when the
// path leads nowhere.
func (l *loader) lookupNode(path string) (*node, pos) {
	n := l.tree
	if n == nil {
		return nil, pos{}
	}
	at := n.pos
	for path != "" {
		var seg string
		index := -1
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil, at
			}
			index, _ = strconv.Atoi(path[1:end])
			path = path[end+1:]
		} else {
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			seg, path = path[:end], path[end:]
		}
		path = strings.TrimPrefix(path, ".")
		var next, key *node
		switch {
		case index >= 0 && n.kind == seqNode && index < len(n.items):
			next = n.items[index]
		case index < 0 && n.kind == mapNode:
			if i := n.index(seg); i >= 0 {
				next, key = n.items[i], n.keys[i]
			}
		case index < 0 && n.kind == seqNode:
			for _, item := range n.items {
				if item.kind == scalarNode && item.value == seg {
					next = item
				}
			}
		}
		if next == nil {
			return nil, at
		}
		n, at = next, next.pos
		if key != nil && next.kind == mapNode {
			at = key.pos
		}
	}
	return n, at
}

// hasErrorUnder reports whether a problem was found at path or below, so
// that a check does not repeat what an earlier one already said.
func (l *loader) hasErrorUnder(path string) bool {
	for _, e := range l.errs.list {
		if e.Path == path || strings.HasPrefix(e.Path, path+".") {
			return true
		}
	}
	return false
}

func (l *loader) fail(path, format string, args ...any) {
	l.errs.add(&Error{Pos: l.posOf(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) validate(p *Project) {
	containerNames := map[string]string{}
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		path := "services." + name
		if !l.options.SkipConsistency && s.Image == "" && s.Build == nil && s.Provider == nil && !l.hasErrorUnder(path) {
			l.fail(path, "service has neither an image nor a build context: expected image or build")
		}
		l.validateRefs(p, s, path)
		if !l.options.SkipConsistency && s.Build != nil && s.Platform != "" && len(s.Build.Platforms) > 0 && !contains(s.Build.Platforms, s.Platform) {
			l.fail(path+".platform", "platform %q is not one of build.platforms %v", s.Platform, s.Build.Platforms)
		}
		if n, _ := l.lookupNode(path + ".container_name"); n != nil && !containerNameRe().MatchString(s.ContainerName) {
			l.fail(path+".container_name", "invalid container name %q: expected letters, digits, _, . and -, starting with a letter or a digit", s.ContainerName)
		}
		if s.ContainerName != "" {
			if other, ok := containerNames[s.ContainerName]; ok {
				l.fail(path+".container_name", "container name %q is already used by service %q", s.ContainerName, other)
			} else {
				containerNames[s.ContainerName] = name
			}
			if s.Replicas() > 1 {
				l.fail(path+".container_name", "container_name %q cannot be used with %d replicas: a container name is unique", s.ContainerName, s.Replicas())
			}
		}
		l.validateValues(s, path)
	}
	l.validateResources(p)
	l.checkCycles(p)
}

func (l *loader) serviceRef(p *Project, path, what, target string) {
	if _, ok := p.Services[target]; ok {
		return
	}
	if _, ok := p.DisabledServices[target]; ok {
		l.fail(path, "%s service %q, which is disabled by its profiles", what, target)
		return
	}
	l.fail(path, "%s undefined service %q", what, target)
}

func (l *loader) validateRefs(p *Project, s *Service, path string) {
	for _, dep := range sortedKeys(s.DependsOn) {
		if !s.DependsOn[dep].Required {
			if _, ok := p.Services[dep]; !ok {
				continue
			}
		}
		l.serviceRef(p, path+".depends_on."+dep, "depends on", dep)
	}
	for _, net := range sortedKeys(s.Networks) {
		if _, ok := p.Networks[net]; !ok && net != "default" {
			l.fail(path+".networks."+net, "undefined network %q: declare it under the top-level networks", net)
		}
	}
	l.validateResourceRefs(p, s, path)
	for key, mode := range map[string]string{"network_mode": s.NetworkMode, "ipc": s.IPC, "pid": s.PID} {
		if target, ok := strings.CutPrefix(mode, "service:"); ok {
			l.serviceRef(p, path+"."+key, "refers to", target)
		}
	}
	if s.NetworkMode != "" && len(s.Networks) > 0 {
		l.fail(path+".network_mode", "network_mode and networks cannot be used together")
	}
	for i, from := range s.VolumesFrom {
		if strings.HasPrefix(from, "container:") {
			continue
		}
		target, _, _ := strings.Cut(from, ":")
		l.serviceRef(p, indexPath(path+".volumes_from", i), "takes volumes from", target)
	}
}

// validateResourceRefs checks that the volumes, secrets and configs a
// service uses are declared.
func (l *loader) validateResourceRefs(p *Project, s *Service, path string) {
	for i, v := range s.Volumes {
		if v.Type == VolumeTypeVolume && v.Source != "" {
			if _, ok := p.Volumes[v.Source]; !ok {
				l.fail(fmt.Sprintf("%s.volumes[%d]", path, i), "undefined volume %q: declare it under the top-level volumes", v.Source)
			}
		}
	}
	for i, ref := range s.Secrets {
		if _, ok := p.Secrets[ref.Source]; !ok {
			l.fail(fmt.Sprintf("%s.secrets[%d]", path, i), "undefined secret %q: declare it under the top-level secrets", ref.Source)
		}
	}
	for i, ref := range s.Configs {
		if _, ok := p.Configs[ref.Source]; !ok {
			l.fail(fmt.Sprintf("%s.configs[%d]", path, i), "undefined config %q: declare it under the top-level configs", ref.Source)
		}
	}
	if s.Build != nil {
		for i, ref := range s.Build.Secrets {
			if _, ok := p.Secrets[ref.Source]; !ok {
				l.fail(fmt.Sprintf("%s.build.secrets[%d]", path, i), "undefined secret %q: declare it under the top-level secrets", ref.Source)
			}
		}
	}
}

var (
	containerNameRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })
	restartValues    = []string{"no", "always", "on-failure", "unless-stopped"}
	pullPolicyValues = []string{"always", "never", "missing", "build", "if_not_present", "daily", "weekly", "refresh"}
	conditionValues  = []string{ConditionStarted, ConditionHealthy, ConditionCompletedSuccessfully}
)

func (l *loader) validateValues(s *Service, path string) {
	if s.Restart != "" {
		policy, count, hasCount := strings.Cut(s.Restart, ":")
		if !contains(restartValues, policy) || hasCount && (policy != "on-failure" || !isDigits(count)) {
			l.fail(path+".restart", "invalid restart policy %q: expected no, always, on-failure[:N] or unless-stopped", s.Restart)
		}
	}
	if s.PullPolicy != "" && !contains(pullPolicyValues, s.PullPolicy) && !strings.HasPrefix(s.PullPolicy, "every_") {
		l.fail(path+".pull_policy", "invalid pull policy %q: expected always, never, missing, build, daily, weekly or every_<duration>", s.PullPolicy)
	}
	for _, dep := range sortedKeys(s.DependsOn) {
		if c := s.DependsOn[dep].Condition; !contains(conditionValues, c) {
			l.fail(path+".depends_on."+dep+".condition", "invalid condition %q: expected %s", c, strings.Join(conditionValues, ", "))
		}
	}
	if s.Scale != nil && *s.Scale < 0 {
		l.fail(path+".scale", "scale must not be negative")
	}
	l.validateAddresses(s, path)
	if h := s.Healthcheck; h != nil && len(h.Test) > 0 {
		switch h.Test[0] {
		case "CMD", "CMD-SHELL", "NONE":
		default:
			l.fail(path+".healthcheck.test", "test list must start with CMD, CMD-SHELL or NONE, got %q", h.Test[0])
		}
	}
}

// validateAddresses checks the IP addresses and ports a service names.
func (l *loader) validateAddresses(s *Service, path string) {
	for i, port := range s.Ports {
		if port.HostIP != "" && net.ParseIP(port.HostIP) == nil {
			l.fail(indexPath(path+".ports", i), "invalid host IP %q: expected an IPv4 or IPv6 address", port.HostIP)
		}
	}
	for i, e := range s.Expose {
		spec, proto, _ := strings.Cut(e, "/")
		if _, _, err := parsePortRange(spec); err != nil || proto != "" && proto != "tcp" && proto != "udp" && proto != "sctp" {
			l.fail(indexPath(path+".expose", i), "invalid port %q: expected PORT[-PORT][/PROTOCOL]", e)
		}
	}
	for _, name := range sortedKeys(s.Networks) {
		n := s.Networks[name]
		if n == nil {
			continue
		}
		if n.IPv4Address != "" && (net.ParseIP(n.IPv4Address) == nil || net.ParseIP(n.IPv4Address).To4() == nil) {
			l.fail(path+".networks."+name+".ipv4_address", "invalid IPv4 address %q", n.IPv4Address)
		}
		if n.IPv6Address != "" && (net.ParseIP(n.IPv6Address) == nil || net.ParseIP(n.IPv6Address).To4() != nil) {
			l.fail(path+".networks."+name+".ipv6_address", "invalid IPv6 address %q", n.IPv6Address)
		}
	}
}

func (l *loader) validateNetworks(p *Project) {
	for _, name := range sortedKeys(p.Networks) {
		for i, pool := range p.Networks[name].IPAM.Config {
			path := indexPath("networks."+name+".ipam.config", i)
			for key, cidr := range map[string]string{"subnet": pool.Subnet, "ip_range": pool.IPRange} {
				if _, _, err := net.ParseCIDR(cidr); cidr != "" && err != nil {
					l.fail(path+"."+key, "invalid %s %q: expected an address in CIDR form, like 172.28.0.0/16", key, cidr)
				}
			}
			if pool.Gateway != "" && net.ParseIP(pool.Gateway) == nil {
				l.fail(path+".gateway", "invalid gateway %q: expected an IP address", pool.Gateway)
			}
		}
	}
}

func (l *loader) validateResources(p *Project) {
	l.validateNetworks(p)
	for _, name := range sortedKeys(p.Secrets) {
		checkFileSource(l, "secrets."+name, (*Secret)(p.Secrets[name]))
	}
	for _, name := range sortedKeys(p.Configs) {
		checkFileSource(l, "configs."+name, (*Secret)(p.Configs[name]))
	}
}

func checkFileSource(l *loader, path string, s *Secret) {
	n := 0
	for _, set := range []bool{s.File != "", s.Environment != "", s.Content != "", s.External} {
		if set {
			n++
		}
	}
	if n == 0 {
		l.fail(path, "no source: expected one of file, environment, content or external")
	}
	if n > 1 {
		l.fail(path, "more than one source: expected only one of file, environment, content or external")
	}
}

// checkCycles reports every depends_on cycle once, starting from its
// smallest service name.
func (l *loader) checkCycles(p *Project) {
	const (
		unvisited = iota
		active
		finished
	)
	state := map[string]int{}
	var stack []string
	reported := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		state[name] = active
		stack = append(stack, name)
		s := p.Services[name]
		for _, dep := range sortedKeys(s.DependsOn) {
			if _, ok := p.Services[dep]; !ok {
				continue
			}
			switch state[dep] {
			case unvisited:
				visit(dep)
			case active:
				l.reportCycle(stack, dep, reported)
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = finished
	}
	for _, name := range sortedKeys(p.Services) {
		if state[name] == unvisited {
			visit(name)
		}
	}
}

func (l *loader) reportCycle(stack []string, dep string, reported map[string]bool) {
	start := 0
	for i, n := range stack {
		if n == dep {
			start = i
		}
	}
	cycle := append([]string{}, stack[start:]...)
	key := append([]string{}, cycle...)
	sort.Strings(key)
	if reported[strings.Join(key, ",")] {
		return
	}
	reported[strings.Join(key, ",")] = true
	last := cycle[len(cycle)-1]
	l.fail("services."+last+".depends_on."+dep, "dependency cycle: %s -> %s", strings.Join(cycle, " -> "), dep)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
