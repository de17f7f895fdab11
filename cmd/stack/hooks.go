package main

import "stack/runtime/container"

// newHooks connects a container's monitor to networking and name
// resolution: the network and dns packages, through networkHooks.
func newHooks(g *globalOptions) container.Hooks {
	h := newNetworkHooks(g)
	return container.Hooks{Network: h, DNS: h, Ports: h}
}
