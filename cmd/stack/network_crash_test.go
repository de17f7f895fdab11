package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"stack/network"
)

// The default network outlives its containers, and what a killed monitor
// or a reboot leaves of a container's networking is cleaned by the next
// command: its veth goes, its address is free again, and the bridge with
// its rules comes back after a reboot.
func TestNetworkDefaultAndCrashes(t *testing.T) {
	s := newE2EStack(t)
	s.must(t, "container", "run", "--rm", "busybox:e2e", "true")
	first := s.defaultNetwork(t)
	s.must(t, "container", "run", "--rm", "busybox:e2e", "true")
	if again := s.defaultNetwork(t); again.ID != first.ID || len(again.Endpoints) != 0 {
		t.Errorf("second run: network %s with endpoints %v, want the first one (%s) kept, without endpoints", again.ID[:12], again.Endpoints, first.ID[:12])
	}
	if !linkPresent(first.Bridge) || !strings.Contains(netNftTable(t), first.Bridge) {
		t.Fatalf("bridge %s or its rules are gone after the last container", first.Bridge)
	}

	// A killed monitor takes its container with it; the next command
	// releases the address and the kernel drops the veth with the
	// container's namespace.
	s.must(t, "container", "run", "-d", "--name", "orphan", "busybox:e2e", "sleep", "1000")
	id, pids := s.containerPids(t, "orphan")
	veth := s.defaultNetwork(t).Endpoints[id].HostVeth
	if veth == "" || !linkPresent(veth) {
		t.Fatalf("no veth %q for the running container", veth)
	}
	syscall.Kill(pids[0], syscall.SIGKILL)
	netWaitFor(t, "the container to die with its monitor", func() bool { return !netProcessAlive(pids[1]) })
	netWaitFor(t, "ls to report it dead", func() bool {
		out, _ := s.run("container", "ls", "-a")
		return strings.Contains(out, "Dead")
	})
	s.must(t, "container", "rm", "orphan")
	netWaitFor(t, "veth "+veth+" to go", func() bool { return !linkPresent(veth) })
	if n := s.defaultNetwork(t); len(n.Endpoints) != 0 {
		t.Errorf("endpoints after the dead container's removal: %v", n.Endpoints)
	}

	// A reboot, simulated: every process gone, the run root cleared, and
	// the kernel's links and rules gone with the old boot.
	s.must(t, "container", "run", "-d", "--name", "boot", "busybox:e2e", "sleep", "1000")
	_, pids = s.containerPids(t, "boot")
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	netWaitFor(t, "the container's processes to die", func() bool { return !netProcessAlive(pids[0]) && !netProcessAlive(pids[1]) })
	if link, err := netlink.LinkByName(first.Bridge); err == nil {
		netlink.LinkDel(link)
	}
	if err := os.RemoveAll(s.runRoot); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(s.runRoot, 0o700)
	netWaitFor(t, "ls to report it dead", func() bool {
		out, _ := s.run("container", "ls", "-a")
		return strings.Contains(out, "Dead")
	})
	s.must(t, "container", "rm", "boot")
	if n := s.defaultNetwork(t); len(n.Endpoints) != 0 {
		t.Errorf("endpoints after the reboot's cleanup: %v", n.Endpoints)
	}
	out := s.must(t, "container", "run", "--rm", "busybox:e2e", "sh", "-c", "ip route; ip -o addr show eth0")
	if !strings.Contains(out, "default via "+first.Subnets[0].Gateway.String()) {
		t.Errorf("after the reboot, a container got no default route on the kept network:\n%s", out)
	}
	if !linkPresent(first.Bridge) || !strings.Contains(netNftTable(t), first.Bridge) {
		t.Errorf("the first container after the reboot did not bring back bridge %s and its rules", first.Bridge)
	}

	s.must(t, "network", "rm", DefaultNetwork)
	netWaitFor(t, "bridge "+first.Bridge+" to go with network rm", func() bool { return !linkPresent(first.Bridge) })
}

func (s *e2eStack) defaultNetwork(t *testing.T) *network.Network {
	t.Helper()
	var nets []*network.Network
	if err := json.Unmarshal([]byte(s.must(t, "network", "inspect", DefaultNetwork)), &nets); err != nil || len(nets) != 1 {
		t.Fatalf("network inspect %s: %v", DefaultNetwork, err)
	}
	return nets[0]
}

// containerPids returns a container's ID and its monitor's and init's pids.
func (s *e2eStack) containerPids(t *testing.T, name string) (string, [2]int) {
	t.Helper()
	var got []struct {
		ID    string `json:"id"`
		State struct {
			MonitorPid int `json:"monitorPid"`
			Pid        int `json:"pid"`
		} `json:"state"`
	}
	if err := json.Unmarshal([]byte(s.must(t, "container", "inspect", name)), &got); err != nil || len(got) != 1 || got[0].State.MonitorPid == 0 || got[0].State.Pid == 0 {
		t.Fatalf("container inspect %s: %v %+v", name, err, got)
	}
	return got[0].ID, [2]int{got[0].State.MonitorPid, got[0].State.Pid}
}

func netProcessAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	// A zombie is dead for this purpose: it holds no namespace.
	return err == nil && !strings.Contains(string(data), ") Z ")
}

func netNftTable(t *testing.T) string {
	t.Helper()
	out, _ := exec.Command("nft", "list", "table", "inet", network.DefaultTable).CombinedOutput()
	return string(out)
}

// waitFor polls cond for up to 20 s; a wait, not a timing check.
func netWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
