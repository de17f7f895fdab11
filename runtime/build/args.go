package build

import (
	"runtime"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// proxyArgs may be given with --build-arg without an ARG: they reach RUN
// steps but, unless declared, stay out of the cache key and the history.
var proxyArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}

// platformArgs are the automatic platform arguments: defined in the global
// scope, and in a stage once declared with ARG NAME.
func platformArgs() map[string]string {
	arch, variant := runtime.GOARCH, ""
	if arch == "arm" {
		variant = "v7"
	}
	p := "linux/" + arch
	if variant != "" {
		p += "/" + variant
	}
	m := map[string]string{}
	for _, prefix := range []string{"BUILD", "TARGET"} {
		m[prefix+"PLATFORM"] = p
		m[prefix+"OS"] = "linux"
		m[prefix+"ARCH"] = arch
		m[prefix+"VARIANT"] = variant
	}
	return m
}

// argScope holds the build arguments a stage has declared, in order.
type argScope struct {
	names  []string
	values map[string]string // declared names with a value
}

func newArgScope() *argScope { return &argScope{values: map[string]string{}} }

func (a *argScope) clone() *argScope {
	c := &argScope{names: append([]string(nil), a.names...), values: map[string]string{}}
	for k, v := range a.values {
		c.values[k] = v
	}
	return c
}

// declare adds name; value is nil for ARG NAME without a default.
func (a *argScope) declare(name string, value *string) {
	found := false
	for _, n := range a.names {
		found = found || n == name
	}
	if !found {
		a.names = append(a.names, name)
	}
	if value != nil {
		a.values[name] = *value
	} else {
		delete(a.values, name)
	}
}

// env is the environment for variable expansion: the declared arguments
// under the stage's ENV, which wins.
func (a *argScope) env(configEnv []string) shell.EnvGetter {
	list := make([]string, 0, len(a.values)+len(configEnv))
	for _, n := range a.names {
		if v, ok := a.values[n]; ok {
			list = append(list, n+"="+v)
		}
	}
	return shell.EnvsFromSlice(append(list, configEnv...))
}

// runEnv returns the arguments a RUN sees that the image's ENV does not
// already set, sorted: these go into the cache key and the history as
// Docker's "|N a=b" prefix.
func (a *argScope) runEnv(configEnv []string) []string {
	set := map[string]bool{}
	for _, kv := range configEnv {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	var out []string
	for n, v := range a.values {
		if !set[n] {
			out = append(out, n+"="+v)
		}
	}
	sort.Strings(out)
	return out
}
