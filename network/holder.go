package network

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// portHolder names the process that has a local port bound, from
// /proc/net and the processes' fd tables; "" when it cannot tell.
func portHolder(proto string, port uint16) string {
	inodes := map[string]bool{}
	// thread-self: the tables of the namespace this thread binds in,
	// whatever namespace the process's main thread is in.
	for _, f := range []string{"/proc/thread-self/net/" + proto, "/proc/thread-self/net/" + proto + "6"} {
		socketInodes(f, port, inodes)
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd")
	for _, fdDir := range procs {
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] {
				pid := filepath.Base(filepath.Dir(fdDir))
				comm, _ := os.ReadFile(filepath.Join("/proc", pid, "comm"))
				return fmt.Sprintf("pid %s (%s)", pid, strings.TrimSpace(string(comm)))
			}
		}
	}
	return ""
}

// socketInodes collects the inodes of sockets bound to port in one
// /proc/net table (listening TCP sockets, or any UDP socket).
func socketInodes(path string, port uint16, into map[string]bool) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		_, portHex, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		p, err := strconv.ParseUint(portHex, 16, 16)
		if err != nil || uint16(p) != port {
			continue
		}
		if strings.Contains(path, "tcp") && fields[3] != "0A" { // LISTEN
			continue
		}
		into[fields[9]] = true
	}
}
