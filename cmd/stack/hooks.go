package main

import "stack/runtime/container"

// newHooks connects a container's monitor to networking and name
// resolution. Without hooks a bridge-mode container has loopback only.
func newHooks(g *globalOptions) container.Hooks {
	return container.Hooks{}
}
