package container

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// execUser is who a process runs as.
type execUser struct {
	UID, GID uint32
	Groups   []uint32
	Home     string
}

// lookupUser resolves Docker's user[:group] syntax against the container's
// /etc/passwd and /etc/group (the init has pivoted already). Numeric ids
// need no entry; supplementary groups come from /etc/group for named users
// and for numeric ones that have an entry.
func lookupUser(spec string) (execUser, error) {
	if spec == "" {
		spec = "0"
	}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	u := execUser{Home: "/"}
	passwd := readColonFile("/etc/passwd")
	found := false
	for _, f := range passwd {
		if len(f) < 7 || (f[0] != userPart && f[2] != userPart) {
			continue
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		u.UID, u.GID, u.Home, found = uint32(uid), uint32(gid), f[5], true
		break
	}
	if !found {
		uid, err := strconv.ParseUint(userPart, 10, 32)
		if err != nil {
			return execUser{}, fmt.Errorf("user %q: no such user in /etc/passwd", userPart)
		}
		u.UID, u.GID = uint32(uid), 0 // an unknown numeric user gets group 0, as with Docker
	}
	groups := readColonFile("/etc/group")
	if hasGroup {
		gid, ok := lookupGroup(groups, groupPart)
		if !ok {
			return execUser{}, fmt.Errorf("group %q: no such group in /etc/group", groupPart)
		}
		u.GID = gid
		return u, nil
	}
	// Like initgroups(3): the primary group first, then memberships.
	u.Groups = []uint32{u.GID}
	name := userPart
	for _, f := range passwd {
		if len(f) >= 3 && f[2] == userPart {
			name = f[0]
		}
	}
	for _, f := range groups {
		if len(f) < 4 || f[2] == strconv.FormatUint(uint64(u.GID), 10) {
			continue
		}
		for _, member := range strings.Split(f[3], ",") {
			if member == name {
				if gid, err := strconv.ParseUint(f[2], 10, 32); err == nil {
					u.Groups = append(u.Groups, uint32(gid))
				}
			}
		}
	}
	return u, nil
}

func lookupGroup(groups [][]string, spec string) (uint32, bool) {
	for _, f := range groups {
		if len(f) >= 3 && (f[0] == spec || f[2] == spec) {
			if gid, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				return uint32(gid), true
			}
		}
	}
	gid, err := strconv.ParseUint(spec, 10, 32)
	return uint32(gid), err == nil
}

func readColonFile(path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}
