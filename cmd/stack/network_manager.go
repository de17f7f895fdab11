package main

import (
	"fmt"
	"strings"

	"stack/cmd/internal/hooks"
	"stack/network"
)

// networkManager opens the network records under the global --root and
// sends its warnings to stderr.
func networkManager(g *globalOptions) *network.Manager {
	return hooks.NetworkManager(g.Root)
}

// parseLabels turns repeated key=value flags into a map; flag names the
// flag in the error.
func parseLabels(flag string, list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("%s %q: expected key=value", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

// parseFilters reads docker-style --filter label=key[=value] flags.
func parseLabelFilters(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range list {
		key, value, ok := strings.Cut(f, "=")
		if !ok || key != "label" || value == "" {
			return nil, fmt.Errorf("--filter %q: expected label=<key> or label=<key>=<value>", f)
		}
		k, v, _ := strings.Cut(value, "=")
		out[k] = v
	}
	return out, nil
}
