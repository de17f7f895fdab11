package main

import (
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// demoNetwork is what `stack network inspect` says of the project's network,
// read before down so that the host can be searched for it afterwards.
type demoNetwork struct {
	Bridge    string
	Subnets   []struct{ Subnet string }
	Endpoints map[string]struct {
		HostVeth string `json:"hostVeth"`
	}
}

// downLeavesNothing runs down and checks the host for every kind of state the
// project had: containers, mounts, links, cgroups, nftables rules, IPAM
// records, processes and files under the run root.
func (d *flaskDemo) downLeavesNothing(containerIDs []string) {
	d.t.Helper()
	networkName := d.project + "_default"
	var nets []demoNetwork
	out := d.must("network", "inspect", networkName)
	if err := json.Unmarshal(out, &nets); err != nil || len(nets) != 1 || nets[0].Bridge == "" {
		d.t.Fatalf("stack network inspect %s: %v\n%s", networkName, err, out)
	}
	network := nets[0]

	d.must("down")

	if left := d.allContainerIDs(); len(left) != 0 {
		d.t.Errorf("after down, stack ps -a lists %v", left)
	}
	if out := string(d.must("network", "ls")); strings.Contains(out, networkName) {
		d.t.Errorf("after down, stack network ls lists %s:\n%s", networkName, out)
	}
	d.checkNoFiles(containerIDs, networkName)
	d.checkNoMounts()
	d.checkNoLinks(network)
	d.checkNoCgroups(containerIDs)
	d.checkNoNftRules(network)
	d.checkNoProcesses()
}

// checkNoFiles: no container, name or network record under the root, and
// nothing under the run root that names the project or its containers, nor
// any socket, but the project's lock file, which stays by design.
func (d *flaskDemo) checkNoFiles(containerIDs []string, networkName string) {
	d.t.Helper()
	var paths []string
	for _, id := range containerIDs {
		paths = append(paths, filepath.Join(d.root, "containers", id))
	}
	paths = append(paths,
		filepath.Join(d.root, "names", d.project+"-web-1"),
		filepath.Join(d.root, "names", d.project+"-redis-1"),
		filepath.Join(d.root, "networks", networkName+".json"))
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			d.t.Errorf("after down, %s still exists", p)
		}
	}
	lock := filepath.Join("locks", "project-"+d.project+".lock")
	filepath.WalkDir(d.run, func(path string, entry fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(d.run, path)
		switch {
		case err != nil:
			d.t.Errorf("after down, walking the run root: %v", err)
		case rel == lock:
		case entry.Type()&fs.ModeSocket != 0:
			d.t.Errorf("after down, the run root still holds the socket %s", rel)
		case strings.Contains(rel, d.project) || containsAny(rel, containerIDs):
			d.t.Errorf("after down, the run root still holds %s", rel)
		}
		return nil
	})
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (d *flaskDemo) checkNoMounts() {
	d.t.Helper()
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		d.t.Fatal(err)
	}
	for _, line := range strings.Split(string(info), "\n") {
		if strings.Contains(line, d.root) || strings.Contains(line, d.run) {
			d.t.Errorf("after down, still mounted: %s", line)
		}
	}
}

func (d *flaskDemo) checkNoLinks(network demoNetwork) {
	d.t.Helper()
	links := []string{network.Bridge}
	for _, ep := range network.Endpoints {
		links = append(links, ep.HostVeth)
	}
	for _, name := range links {
		if name == "" {
			continue
		}
		if _, err := net.InterfaceByName(name); err == nil {
			d.t.Errorf("after down, the link %s still exists", name)
		}
	}
}

func (d *flaskDemo) checkNoCgroups(containerIDs []string) {
	d.t.Helper()
	for _, id := range containerIDs {
		for _, pattern := range []string{"/sys/fs/cgroup/*/stack/" + id, "/sys/fs/cgroup/stack/" + id} {
			left, _ := filepath.Glob(pattern)
			for _, dir := range left {
				d.t.Errorf("after down, the cgroup %s still exists", dir)
			}
		}
	}
}

func (d *flaskDemo) checkNoNftRules(network demoNetwork) {
	d.t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		d.t.Log("nft is not installed: nftables rules not checked")
		return
	}
	out, err := exec.Command("nft", "list", "ruleset").CombinedOutput()
	if err != nil {
		d.t.Errorf("nft list ruleset: %v\n%s", err, out)
		return
	}
	marks := []string{network.Bridge, "dport " + strconv.Itoa(d.port) + " "}
	for _, s := range network.Subnets {
		marks = append(marks, s.Subnet)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if containsAny(line, marks) {
			d.t.Errorf("after down, an nftables rule of the project is left: %s", strings.TrimSpace(line))
		}
	}
}

// checkNoProcesses: no monitor or init of the project is alive; each of
// them was started with the test's run root on its command line.
func (d *flaskDemo) checkNoProcesses() {
	d.t.Helper()
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, path := range cmdlines {
		cmdline, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(cmdline), d.run) {
			d.t.Errorf("after down, %s is still running: %q", filepath.Dir(path), cmdline)
		}
	}
}
