package build

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// identity is a numeric owner for files a COPY or ADD writes.
type identity struct{ uid, gid int }

// parseChown resolves a --chown value ("user", "user:group", names or
// numbers) against the image's /etc/passwd and /etc/group. A user without
// a group takes the user's primary group, or the same number.
func parseChown(spec string, passwd, group []byte) (identity, error) {
	user, grp, hasGroup := strings.Cut(spec, ":")
	uid, primary, err := lookupID(user, passwd, 2, 3)
	if err != nil {
		return identity{}, fmt.Errorf("--chown=%s: user %w", spec, err)
	}
	id := identity{uid: uid, gid: primary}
	if hasGroup {
		if id.gid, _, err = lookupID(grp, group, 2, -1); err != nil {
			return identity{}, fmt.Errorf("--chown=%s: group %w", spec, err)
		}
	}
	return id, nil
}

// lookupID returns field idField (and field extraField, when not -1) of the
// line of an /etc/passwd-style file whose first field is name; a number is
// its own ID.
func lookupID(name string, file []byte, idField, extraField int) (int, int, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, n, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(file))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) <= idField || fields[0] != name {
			continue
		}
		id, err := strconv.Atoi(fields[idField])
		if err != nil {
			return 0, 0, fmt.Errorf("%q: bad ID %q", name, fields[idField])
		}
		extra := id
		if extraField >= 0 && len(fields) > extraField {
			if extra, err = strconv.Atoi(fields[extraField]); err != nil {
				return 0, 0, fmt.Errorf("%q: bad group ID %q", name, fields[extraField])
			}
		}
		return id, extra, nil
	}
	return 0, 0, fmt.Errorf("%q not found in the image", name)
}
