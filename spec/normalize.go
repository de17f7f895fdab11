package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// finish turns a decoded project into its normalized form and validates
// it: project name, resource names, default network, env_file contents,
// profiles, then the cross-reference checks.
func (l *loader) finish(p *Project) {
	l.projectName(p)
	l.resourceNames(p)
	for _, name := range sortedKeys(p.Services) {
		l.normalizeService(p, p.Services[name])
	}
	l.applyProfiles(p)
	l.defaultNetwork(p)
	l.validate(p)
}

func (l *loader) projectName(p *Project) {
	from, name := "", ""
	switch {
	case l.options.ProjectName != "":
		from, name = "project name", l.options.ProjectName
	case l.env["COMPOSE_PROJECT_NAME"] != "":
		from, name = "COMPOSE_PROJECT_NAME", l.env["COMPOSE_PROJECT_NAME"]
	case p.Name != "":
		from, name = "name", p.Name
	default:
		p.Name = NormalizeProjectName(filepath.Base(l.projectDir))
		if p.Name == "" {
			l.errs.add(&Error{Msg: fmt.Sprintf("project directory %q gives an empty project name: set one with -p or name:", l.projectDir)})
		}
		return
	}
	if !isProjectName(name) {
		msg := fmt.Sprintf("%s %q is not valid: expected lower case letters, digits, dashes and underscores, starting with a letter or a digit", from, name)
		if from == "name" {
			l.fail("name", "%s", msg)
		} else {
			l.errs.add(&Error{Msg: msg})
		}
	}
	p.Name = name
}

// resourceNames gives networks and volumes their host names,
// "<project>_<key>" unless named explicitly or external.
func (l *loader) resourceNames(p *Project) {
	for key, n := range p.Networks {
		if n == nil {
			n = &Network{}
			p.Networks[key] = n
		}
		if n.Name == "" {
			n.Name = scoped(p.Name, key, n.External)
		}
	}
	for key, v := range p.Volumes {
		if v == nil {
			v = &Volume{}
			p.Volumes[key] = v
		}
		if v.Name == "" {
			v.Name = scoped(p.Name, key, v.External)
		}
	}
	for key, s := range p.Secrets {
		if s == nil {
			s = &Secret{}
			p.Secrets[key] = s
		}
		if v, ok := l.resourceEnv["secrets."+key]; ok && s.Environment != "" {
			s.EnvironmentValue = &v
		}
	}
	for key, c := range p.Configs {
		if c == nil {
			c = &Config{}
			p.Configs[key] = c
		}
		if v, ok := l.resourceEnv["configs."+key]; ok && c.Environment != "" {
			c.EnvironmentValue = &v
		}
	}
}

func scoped(project, key string, external bool) string {
	if external {
		return key
	}
	return project + "_" + key
}

func (l *loader) normalizeService(p *Project, s *Service) {
	env := map[string]*string{}
	if !l.options.SkipEnvFiles {
		for i, f := range s.EnvFiles {
			l.readEnvFile(s, i, f, env)
		}
	}
	for k, v := range s.Environment {
		if v == nil {
			if val, ok := l.env[k]; ok {
				v = &val
			}
		}
		env[k] = v
	}
	s.Environment = env
	if len(env) == 0 {
		s.Environment = nil
	}
	l.readLabelFiles(s)
	if s.Healthcheck != nil && len(s.Healthcheck.Test) > 0 && s.Healthcheck.Test[0] == "NONE" {
		s.Healthcheck.Disable = true
	}
	if s.PullPolicy == "if_not_present" {
		s.PullPolicy = "missing"
	}
}

func (l *loader) readEnvFile(s *Service, i int, f EnvFile, env map[string]*string) {
	path := fmt.Sprintf("services.%s.env_file[%d]", s.Name, i)
	data, err := os.ReadFile(f.Path)
	if err != nil {
		if os.IsNotExist(err) && !f.Required {
			return
		}
		l.errs.add(&Error{Pos: l.posOf(path), Path: path, Msg: fmt.Sprintf("env file %s not found", f.Path)})
		return
	}
	var vars map[string]string
	switch f.Format {
	case "":
		vars, _, err = parseDotenv(data, l.lookup)
		if err != nil {
			l.errs.add(&Error{Pos: l.posOf(path), Path: path, Msg: fmt.Sprintf("%s: %v", f.Path, err)})
			return
		}
	case "raw":
		vars, _ = parseRawEnv(data, l.lookup)
	default:
		l.errs.add(&Error{Pos: l.posOf(path), Path: path, Msg: fmt.Sprintf("unsupported env_file format %q: expected raw or none", f.Format)})
		return
	}
	for k, v := range vars {
		env[k] = &v
	}
}

// applyProfiles moves the services none of whose profiles is enabled to
// DisabledServices.
func (l *loader) applyProfiles(p *Project) {
	enabled := map[string]bool{}
	for _, name := range l.options.Profiles {
		enabled[name] = true
	}
	if v := l.env["COMPOSE_PROFILES"]; v != "" {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				enabled[name] = true
			}
		}
	}
	p.Profiles = sortedKeys(enabled)
	for name, s := range p.Services {
		if serviceEnabled(s, enabled) {
			continue
		}
		if p.DisabledServices == nil {
			p.DisabledServices = map[string]*Service{}
		}
		p.DisabledServices[name] = s
		delete(p.Services, name)
	}
}

func serviceEnabled(s *Service, enabled map[string]bool) bool {
	if len(s.Profiles) == 0 || enabled["*"] {
		return true
	}
	for _, profile := range s.Profiles {
		if enabled[profile] {
			return true
		}
	}
	return false
}

// defaultNetwork attaches services without networks or network_mode to
// "default", and declares it when needed.
func (l *loader) defaultNetwork(p *Project) {
	used := false
	for _, s := range p.Services {
		if s.NetworkMode == "" && len(s.Networks) == 0 {
			s.Networks = map[string]*ServiceNetwork{"default": nil}
		}
		if _, ok := s.Networks["default"]; ok {
			used = true
		}
	}
	if !used {
		return
	}
	if p.Networks == nil {
		p.Networks = map[string]*Network{}
	}
	if p.Networks["default"] == nil {
		p.Networks["default"] = &Network{Name: p.Name + "_default"}
	}
}

// Replicas returns how many containers the service runs: scale, else
// deploy.replicas, else 1.
func (s *Service) Replicas() int {
	if s.Scale != nil {
		return *s.Scale
	}
	if s.Deploy != nil && s.Deploy.Replicas != nil {
		return *s.Deploy.Replicas
	}
	return 1
}

// readLabelFiles adds the labels of label_file files; labels: wins.
func (l *loader) readLabelFiles(s *Service) {
	if len(s.LabelFiles) == 0 {
		return
	}
	labels := map[string]string{}
	for i, f := range s.LabelFiles {
		path := fmt.Sprintf("services.%s.label_file[%d]", s.Name, i)
		data, err := os.ReadFile(f)
		if err != nil {
			l.fail(path, "label file %s not found", f)
			continue
		}
		vars, _, err := parseDotenv(data, func(string) (string, bool) { return "", false })
		if err != nil {
			l.fail(path, "%s: %v", f, err)
			continue
		}
		for k, v := range vars {
			labels[k] = v
		}
	}
	for k, v := range s.Labels {
		labels[k] = v
	}
	s.Labels = labels
}
