package main

import (
	"stack/cmd/internal/hooks"
	"stack/dns"
	"stack/runtime/container"
)

// DefaultNetwork is the network of a bridge-mode container that names
// none (see hooks.DefaultNetwork).
const DefaultNetwork = hooks.DefaultNetwork

// newHooks connects a container's monitor to networking and name
// resolution: the network and dns packages, through package hooks.
func newHooks(g *globalOptions) container.Hooks {
	return hooks.New(g.Root, g.RunRoot).Hooks()
}

// dnsRegistry is where every monitor's resolver finds the records.
func dnsRegistry(g *globalOptions) *dns.Registry {
	return hooks.DNSRegistry(g.RunRoot)
}
