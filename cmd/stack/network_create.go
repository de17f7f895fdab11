package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"

	"github.com/spf13/cobra"

	"stack/network"
)

func init() {
	register("network", "create", newNetworkCreateCommand)
}

type networkCreateOptions struct {
	global   *globalOptions
	name     string
	driver   string
	subnets  []string
	gateways []string
	ipRanges []string
	internal bool
	ipv6     bool
	labels   []string
	out      io.Writer
}

func newNetworkCreateCommand(g *globalOptions) *cobra.Command {
	o := &networkCreateOptions{global: g}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a bridge network",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			o.out = cmd.OutOrStdout()
			return runNetworkCreate(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.driver, "driver", "d", "bridge", "network driver (only bridge)")
	f.StringArrayVar(&o.subnets, "subnet", nil, "subnet in CIDR form (repeatable, one per address family)")
	f.StringArrayVar(&o.gateways, "gateway", nil, "gateway of the subnet that contains it (repeatable)")
	f.StringArrayVar(&o.ipRanges, "ip-range", nil, "allocate container addresses from this sub-range (repeatable)")
	f.BoolVar(&o.internal, "internal", false, "no access to or from the outside")
	f.BoolVar(&o.ipv6, "ipv6", false, "enable IPv6")
	f.StringArrayVar(&o.labels, "label", nil, "set metadata key=value (repeatable)")
	return cmd
}

func runNetworkCreate(_ context.Context, o *networkCreateOptions) error {
	if o.driver != "bridge" {
		return fmt.Errorf("--driver %q: only bridge is supported", o.driver)
	}
	labels, err := parseLabels("--label", o.labels)
	if err != nil {
		return err
	}
	subnets, err := subnetFlags(o.subnets, o.gateways, o.ipRanges)
	if err != nil {
		return err
	}
	n, err := networkManager(o.global).Create(network.CreateOptions{
		Name: o.name, Subnets: subnets, IPv6: o.ipv6, Internal: o.internal, Labels: labels,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(o.out, n.ID)
	return nil
}

// subnetFlags pairs each --gateway and --ip-range with the --subnet that
// contains it.
func subnetFlags(subnets, gateways, ranges []string) ([]network.Subnet, error) {
	var out []network.Subnet
	for _, s := range subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("--subnet %q: expected CIDR notation like 10.1.0.0/24", s)
		}
		out = append(out, network.Subnet{Prefix: p})
	}
	for _, g := range gateways {
		a, err := netip.ParseAddr(g)
		if err != nil {
			return nil, fmt.Errorf("--gateway %q: expected an IP address", g)
		}
		i := containing(out, a)
		if i < 0 {
			return nil, fmt.Errorf("--gateway %s: no --subnet contains it", g)
		}
		out[i].Gateway = a
	}
	for _, r := range ranges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return nil, fmt.Errorf("--ip-range %q: expected CIDR notation like 10.1.0.128/25", r)
		}
		i := containing(out, p.Addr())
		if i < 0 {
			return nil, fmt.Errorf("--ip-range %s: no --subnet contains it", r)
		}
		out[i].IPRange = p
	}
	return out, nil
}

func containing(list []network.Subnet, a netip.Addr) int {
	for i, s := range list {
		if s.Prefix.Contains(a) {
			return i
		}
	}
	return -1
}
