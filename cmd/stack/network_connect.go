package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netns"

	"stack/cmd/internal/hooks"
	"stack/dns"
	"stack/network"
)

func init() {
	register("network", "connect", newNetworkConnectCommand)
}

type networkConnectOptions struct {
	global    *globalOptions
	network   string
	container string
	ip        string
	ip6       string
	aliases   []string
}

func newNetworkConnectCommand(g *globalOptions) *cobra.Command {
	o := &networkConnectOptions{global: g}
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a running container to a network",
		Long: "Connect a running container to a network. The connection lasts while the container runs;\n" +
			"its other names resolve on the new network at once, and its own resolver sees the network within a second.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.network, o.container = args[0], args[1]
			return runNetworkConnect(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ip, "ip", "", "IPv4 address")
	f.StringVar(&o.ip6, "ip6", "", "IPv6 address")
	f.StringArrayVar(&o.aliases, "alias", nil, "extra DNS name on this network (repeatable)")
	return cmd
}

func runNetworkConnect(_ context.Context, o *networkConnectOptions) error {
	var static []netip.Addr
	for flag, s := range map[string]string{"--ip": o.ip, "--ip6": o.ip6} {
		if s == "" {
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("%s %q: expected an IP address", flag, s)
		}
		static = append(static, a)
	}
	store, err := containerStore(o.global)
	if err != nil {
		return err
	}
	c, err := store.Get(o.container)
	if err != nil {
		return err
	}
	if !c.Running() || c.State.Pid == 0 {
		return fmt.Errorf("container %s is not running", c.Name)
	}
	if c.Network.Mode != "bridge" {
		return fmt.Errorf("container %s uses network mode %s: only bridge containers can be connected", c.Name, c.Network.Mode)
	}
	m := networkManager(o.global)
	ifname, err := nextInterface(m, c.ID, o.network)
	if err != nil {
		return err
	}
	ns, err := netns.GetFromPid(c.State.Pid)
	if err != nil {
		return fmt.Errorf("container %s: network namespace: %w", c.Name, err)
	}
	defer ns.Close()
	att, err := m.Attach(network.AttachOptions{ContainerID: c.ID, Network: o.network, Interface: ifname, Addrs: static}, ns)
	if err != nil {
		return err
	}
	names := hooks.AppendNames([]string{c.Name, c.Hostname}, o.aliases)
	err = dnsRegistry(o.global).Put(o.network, dns.Endpoint{ContainerID: c.ID, Names: names, Addrs: hooks.PrefixAddrs(att.Addrs), Internal: att.Internal})
	if err != nil {
		return errors.Join(err, m.Detach(c.ID, o.network))
	}
	return nil
}

// nextInterface is the first ethN the container does not use yet; it
// fails when the container is on the network already.
func nextInterface(m *network.Manager, containerID, networkName string) (string, error) {
	nets, err := m.List()
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, n := range nets {
		ep, ok := n.Endpoints[containerID]
		if !ok {
			continue
		}
		if n.Name == networkName {
			return "", fmt.Errorf("container is already connected to network %q", networkName)
		}
		used[ep.Interface] = true
	}
	for i := 0; ; i++ {
		if name := "eth" + strconv.Itoa(i); !used[name] {
			return name, nil
		}
	}
}
