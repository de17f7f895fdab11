package image

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ApplyChanges applies Dockerfile instructions to config, as the --change
// flag of docker import and docker commit does. The instructions that change
// only the configuration are accepted: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
// ONBUILD, STOPSIGNAL, USER, VOLUME and WORKDIR.
func ApplyChanges(config *v1.Config, changes []string) error {
	for _, change := range changes {
		instruction, args, _ := strings.Cut(strings.TrimSpace(change), " ")
		args = strings.TrimSpace(args)
		apply, ok := changers[strings.ToUpper(instruction)]
		if !ok {
			return fmt.Errorf("--change %q: %s is not a configuration instruction (want one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)", change, instruction)
		}
		if args == "" {
			return fmt.Errorf("--change %q: %s needs arguments", change, strings.ToUpper(instruction))
		}
		if err := apply(config, args); err != nil {
			return fmt.Errorf("--change %q: %w", change, err)
		}
	}
	return nil
}

var changers = map[string]func(*v1.Config, string) error{
	"CMD": func(c *v1.Config, args string) error {
		c.Cmd = commandForm(args)
		return nil
	},
	"ENTRYPOINT": func(c *v1.Config, args string) error {
		c.Entrypoint = commandForm(args)
		return nil
	},
	"ENV": func(c *v1.Config, args string) error {
		pairs, err := keyValues(args)
		for _, kv := range pairs {
			c.Env = setEnv(c.Env, kv[0], kv[1])
		}
		return err
	},
	"LABEL": func(c *v1.Config, args string) error {
		pairs, err := keyValues(args)
		for _, kv := range pairs {
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[kv[0]] = kv[1]
		}
		return err
	},
	"EXPOSE": func(c *v1.Config, args string) error {
		for _, port := range strings.Fields(args) {
			if !strings.Contains(port, "/") {
				port += "/tcp"
			}
			if c.ExposedPorts == nil {
				c.ExposedPorts = map[string]struct{}{}
			}
			c.ExposedPorts[strings.ToLower(port)] = struct{}{}
		}
		return nil
	},
	"ONBUILD": func(c *v1.Config, args string) error {
		c.OnBuild = append(c.OnBuild, args)
		return nil
	},
	"STOPSIGNAL": func(c *v1.Config, args string) error {
		c.StopSignal = args
		return nil
	},
	"USER": func(c *v1.Config, args string) error {
		c.User = args
		return nil
	},
	"VOLUME": func(c *v1.Config, args string) error {
		for _, v := range listForm(args) {
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			c.Volumes[v] = struct{}{}
		}
		return nil
	},
	"WORKDIR": func(c *v1.Config, args string) error {
		dir := args
		if !path.IsAbs(dir) {
			dir = path.Join("/", c.WorkingDir, dir)
		}
		c.WorkingDir = path.Clean(dir)
		return nil
	},
}

// commandForm reads the exec form ["a", "b"] or wraps the shell form in
// /bin/sh -c, as a Dockerfile does.
func commandForm(args string) []string {
	var list []string
	if json.Unmarshal([]byte(args), &list) == nil {
		return list
	}
	return []string{"/bin/sh", "-c", args}
}

func listForm(args string) []string {
	var list []string
	if json.Unmarshal([]byte(args), &list) == nil {
		return list
	}
	return strings.Fields(args)
}

// keyValues reads "k=v k2='v 2'" or the legacy single pair "k v".
func keyValues(args string) ([][2]string, error) {
	words, err := splitWords(args)
	if err != nil {
		return nil, err
	}
	if len(words) > 0 && !strings.Contains(words[0], "=") {
		key, value, _ := strings.Cut(args, " ")
		return [][2]string{{key, strings.TrimSpace(value)}}, nil
	}
	var pairs [][2]string
	for _, w := range words {
		key, value, ok := strings.Cut(w, "=")
		if !ok || key == "" {
			return pairs, fmt.Errorf("%q is not key=value", w)
		}
		pairs = append(pairs, [2]string{key, value})
	}
	return pairs, nil
}

// splitWords splits on blanks outside quotes, dropping the quotes and
// honouring backslash escapes outside single quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			word.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
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
