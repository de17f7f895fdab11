package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestNetworkCommands(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	ctx := context.Background()
	g := &globalOptions{Root: t.TempDir(), RunRoot: t.TempDir()}
	t.Cleanup(func() {
		for _, name := range []string{"front", "back"} {
			runNetworkRm(ctx, &networkRmOptions{global: g, names: []string{name}, out: &bytes.Buffer{}})
		}
	})
	create := func(name string, o networkCreateOptions) (string, error) {
		var out bytes.Buffer
		o.global, o.name, o.driver, o.out = g, name, "bridge", &out
		err := runNetworkCreate(ctx, &o)
		return out.String(), err
	}
	if _, err := create("front", networkCreateOptions{subnets: []string{"10.252.200.0/24"}, ipRanges: []string{"10.252.200.128/25"}, gateways: []string{"10.252.200.254"}, labels: []string{"tier=web"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := create("back", networkCreateOptions{subnets: []string{"10.252.201.0/24"}, internal: true}); err != nil {
		t.Fatal(err)
	}

	invalid := []struct {
		name string
		o    networkCreateOptions
		want string
	}{
		{"bad", networkCreateOptions{subnets: []string{"10.252.202.0"}}, `--subnet "10.252.202.0": expected CIDR notation`},
		{"bad", networkCreateOptions{subnets: []string{"10.252.202.0/24"}, gateways: []string{"10.252.203.1"}}, "--gateway 10.252.203.1: no --subnet contains it"},
		{"bad", networkCreateOptions{subnets: []string{"10.252.200.0/25"}}, "overlaps a host route or another network"},
		{"bad", networkCreateOptions{labels: []string{"=x"}}, `--label "=x": expected key=value`},
		{"front", networkCreateOptions{}, "network already exists"},
		{"no/slash", networkCreateOptions{}, "invalid network name"},
	}
	for _, tt := range invalid {
		if _, err := create(tt.name, tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("create %s %+v: got %v, want an error with %q", tt.name, tt.o, err, tt.want)
		}
	}
	var driverErr bytes.Buffer
	if err := runNetworkCreate(ctx, &networkCreateOptions{global: g, name: "x", driver: "overlay", out: &driverErr}); err == nil {
		t.Errorf("--driver overlay: got no error")
	}

	ls := func(format string, quiet bool, filters ...string) string {
		var out bytes.Buffer
		if err := runNetworkLs(ctx, &networkLsOptions{global: g, format: format, quiet: quiet, filters: filters, out: &out}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got := ls("table", true); got != "back\nfront\n" {
		t.Errorf("ls -q: got %q", got)
	}
	if got := ls("table", true, "label=tier=web"); got != "front\n" {
		t.Errorf("ls -q --filter label=tier=web: got %q", got)
	}
	table := ls("table", false)
	if !strings.HasPrefix(table, "NETWORK ID") || !strings.Contains(table, "10.252.201.0/24") || !strings.Contains(table, "true") {
		t.Errorf("ls table:\n%s", table)
	}
	var listed []struct {
		Name    string `json:"name"`
		Subnets []struct {
			Subnet, Gateway, IPRange string
		} `json:"subnets"`
	}
	if err := json.Unmarshal([]byte(ls("json", false)), &listed); err != nil || len(listed) != 2 {
		t.Fatalf("ls --format json: %v, %+v", err, listed)
	}
	if s := listed[1].Subnets[0]; listed[1].Name != "front" || s.Gateway != "10.252.200.254" || s.IPRange != "10.252.200.128/25" {
		t.Errorf("front as listed: %+v", listed[1])
	}

	var inspect bytes.Buffer
	err := runNetworkInspect(ctx, &networkInspectOptions{global: g, names: []string{"front", "nosuch"}, out: &inspect})
	if err == nil || !strings.Contains(err.Error(), `"nosuch"`) || !strings.Contains(inspect.String(), `"front"`) {
		t.Errorf("inspect front nosuch: %v\n%s", err, inspect.String())
	}

	var pruned bytes.Buffer
	if err := runNetworkPrune(ctx, &networkPruneOptions{global: g, filters: []string{"label=tier"}, out: &pruned}); err != nil {
		t.Fatal(err)
	}
	if pruned.String() != "Deleted Networks:\nfront\n" {
		t.Errorf("prune --filter label=tier: got %q", pruned.String())
	}
	var removed bytes.Buffer
	if err := runNetworkRm(ctx, &networkRmOptions{global: g, names: []string{"back", "back"}, out: &removed}); err == nil || removed.String() != "back\n" {
		t.Errorf("rm back back: got %v, %q; want one removal and an error for the second", err, removed.String())
	}
	if got := ls("table", true); got != "" {
		t.Errorf("networks left: %q", got)
	}
}
