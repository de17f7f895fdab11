package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// store keeps one JSON file per network under dir, with IPAM records
// inside. Every change holds an exclusive flock on dir/.lock for the whole
// read-modify-write and lands with rename, so concurrent stack processes
// never lose an allocation and a crash leaves the old or the new file.
type store struct {
	dir string
}

// validName reports whether name is letters and digits, '_', '.' and
// '-', starting with a letter or a digit (Docker's rule for names).
func validName(name string) bool {
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || r != '_' && r != '.' && r != '-') {
			return false
		}
	}
	return name != ""
}

func checkName(name string) error {
	if !validName(name) {
		return fmt.Errorf("invalid network name %q: expected letters, digits, '_', '.' or '-', not starting with a punctuation mark", name)
	}
	return nil
}

func (s *store) path(name string) string { return filepath.Join(s.dir, name+".json") }

// locked runs fn while holding the store's lock.
func (s *store) locked(fn func() error) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	return withLock(filepath.Join(s.dir, ".lock"), fn)
}

// withLock runs fn while holding an exclusive flock on path.
func withLock(path string, fn func() error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	defer unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return fn()
}

func (s *store) load(name string) (*Network, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	n, err := readRecord(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("network %q: %w", name, ErrNotFound)
	}
	if err != nil {
		// Endpoint changes are not synced (see save): a power loss can
		// leave a torn record. Every container died with the host then,
		// so the copy made when the network was created is the state.
		if def, derr := readRecord(s.createdPath(name)); derr == nil {
			def.Endpoints = map[string]Endpoint{}
			return def, nil
		}
		return nil, err
	}
	return n, nil
}

func readRecord(path string) (*Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var n Network
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if n.Endpoints == nil {
		n.Endpoints = map[string]Endpoint{}
	}
	return &n, nil
}

// createdPath keeps the record as created, synced, for load to fall back on.
// The leading dot keeps it out of list.
func (s *store) createdPath(name string) string {
	return filepath.Join(s.dir, "."+name+".created")
}

// create writes a new network's record durably, and the copy load falls
// back on: a network outlives reboots, its endpoints do not.
func (s *store) create(n *Network) error {
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(s.path(n.Name), append(data, '\n'), true, s.createdPath(n.Name))
}

// save replaces a record after an endpoint change. It is not synced: a
// killed process leaves the page cache, hence the old or the new record,
// and what only a power loss can lose are endpoints of containers that
// the power loss killed too (load falls back on the created copy when the
// record is torn). A sync here cost several milliseconds per container
// start and stop, serialized under the store's lock.
func (s *store) save(n *Network) error {
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path(n.Name), append(data, '\n'), false)
}

func (s *store) remove(name string) error {
	err := os.Remove(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if rerr := os.Remove(s.createdPath(name)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// names returns the names of the records in the store's directory.
func (s *store) names() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() && !strings.HasPrefix(name, ".") {
			out = append(out, name)
		}
	}
	return out, nil
}

// list returns every network sorted by name.
func (s *store) list() ([]*Network, error) {
	names, err := s.names()
	if err != nil {
		return nil, err
	}
	var out []*Network
	for _, name := range names {
		n, err := s.load(name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// holding returns the names of the networks with an endpoint of
// containerID. Only records that mention the ID are decoded: a container's
// exit asks this of every network.
func (s *store) holding(containerID string) ([]string, error) {
	names, err := s.names()
	if err != nil {
		return nil, err
	}
	quoted := []byte(`"` + containerID + `"`)
	var out []string
	for _, name := range names {
		data, err := os.ReadFile(s.path(name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(data, quoted) {
			continue
		}
		n, err := s.load(name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, ok := n.Endpoints[containerID]; ok {
			out = append(out, name)
		}
	}
	return out, nil
}

// errUnchanged, returned by an update's fn, skips the write.
var errUnchanged = errors.New("record unchanged")

// update loads name, applies fn and saves the result, all under the lock.
func (s *store) update(name string, fn func(*Network) error) (*Network, error) {
	var n *Network
	err := s.locked(func() error {
		var err error
		if n, err = s.load(name); err != nil {
			return err
		}
		if err := fn(n); err != nil {
			return err
		}
		return s.save(n)
	})
	return n, err
}

// writeFileAtomic replaces path with data so that readers and a killed
// process see either the old or the new content; with sync, so does a
// power loss.
func writeFileAtomic(path string, data []byte, sync bool) error {
	return writeFile(path, data, sync, "")
}

// writeFile is writeFileAtomic that can also leave the same content, the
// same inode, under a second name: one sync covers both.
func writeFile(path string, data []byte, sync bool, alsoAt string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if alsoAt != "" {
		if err := os.Remove(alsoAt); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Link(tmp.Name(), alsoAt); err != nil {
			return err
		}
	}
	return os.Rename(tmp.Name(), path)
}
