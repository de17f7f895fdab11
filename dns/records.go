package dns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Endpoint is one container on one network as the resolver sees it.
type Endpoint struct {
	ContainerID string `json:"containerId"`
	// Names are the names the container answers to on this network. The
	// first is its canonical name, given back for reverse lookups.
	Names []string     `json:"names"`
	Addrs []netip.Addr `json:"addrs"`
	// Internal tells that the network is internal: a container whose
	// networks are all internal gets no forwarding.
	Internal bool `json:"internal,omitempty"`
}

// Registry keeps one JSON file per endpoint in
// <Dir>/<network>/endpoints/<container>.json. Every monitor's resolver reads
// the same files, so a record written before a container starts (or removed
// when it stops) is seen by all of them at once, with no process to notify.
type Registry struct {
	Dir string
	gen generation
}

func (r *Registry) dir(network string) string {
	return filepath.Join(r.Dir, network, "endpoints")
}

// Put publishes (or replaces) an endpoint's record.
func (r *Registry) Put(network string, ep Endpoint) error {
	if err := checkComponent(network); err != nil {
		return err
	}
	if err := checkComponent(ep.ContainerID); err != nil {
		return err
	}
	dir := r.dir(network)
	data, err := json.Marshal(ep)
	if err != nil {
		return err
	}
	// Remove deletes a network's directory with its last record, so a
	// concurrent Remove may take the directory away between the two steps:
	// make it again and retry.
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		err = writeFileAtomic(filepath.Join(dir, ep.ContainerID+".json"), data)
		if err == nil || !errors.Is(err, fs.ErrNotExist) || attempt == 3 {
			break
		}
	}
	if err != nil {
		return err
	}
	r.gen.bump(r.Dir)
	return nil
}

// Remove withdraws an endpoint's record; a missing record is fine.
func (r *Registry) Remove(network, containerID string) error {
	if checkComponent(network) != nil || checkComponent(containerID) != nil {
		return nil
	}
	err := os.Remove(filepath.Join(r.dir(network), containerID+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		r.gen.bump(r.Dir)
		// The last record takes its network's directory with it, so that
		// nothing of a removed network stays in the run root. Both calls
		// fail harmlessly while other records remain.
		if os.Remove(r.dir(network)) == nil {
			os.Remove(filepath.Join(r.Dir, network))
		}
	}
	return err
}

// RemoveAll withdraws the container's records on every network, as crash
// cleanup does.
func (r *Registry) RemoveAll(containerID string) error {
	nets, err := os.ReadDir(r.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nets {
		if n.IsDir() {
			errs = append(errs, r.Remove(n.Name(), containerID))
		}
	}
	return errors.Join(errs...)
}

// List reads the endpoints of one network.
func (r *Registry) List(network string) ([]Endpoint, error) {
	entries, err := os.ReadDir(r.dir(network))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Endpoint
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(r.dir(network), e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while listing
		}
		if err != nil {
			return nil, err
		}
		var ep Endpoint
		if err := json.Unmarshal(data, &ep); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, ep)
	}
	return out, nil
}

// networksOf finds the networks holding a record of containerID.
func (r *Registry) networksOf(containerID string) []Network {
	out := []Network{}
	if checkComponent(containerID) != nil {
		return out
	}
	nets, err := os.ReadDir(r.Dir)
	if err != nil {
		return out
	}
	for _, n := range nets {
		if !n.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(r.dir(n.Name()), containerID+".json"))
		if err != nil {
			continue
		}
		var ep Endpoint
		if json.Unmarshal(data, &ep) == nil {
			out = append(out, Network{Name: n.Name(), Internal: ep.Internal})
		}
	}
	return out
}

func checkComponent(s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\x00") {
		return fmt.Errorf("invalid record name %q", s)
	}
	return nil
}

// snapshot caches one network's endpoints. It is reloaded when the
// registry's generation moved; without a generation (or once a second, in
// case a writer died between its change and the bump) it falls back to
// the directory's mtime.
type snapshot struct {
	mu      sync.Mutex
	reg     *Registry
	net     string
	loaded  bool
	gen     uint64
	checked time.Time
	mtime   time.Time
	eps     []Endpoint
}

// recent is how long after a change an mtime is not trusted: directory
// timestamps come from a coarse clock, so two changes within one tick
// leave the same mtime.
const recent = 50 * time.Millisecond

// recheck is how long a generation-validated cache lives before the
// directory is looked at anyway.
const recheck = time.Second

func (s *snapshot) endpoints() []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	gen, ok := s.reg.gen.load(s.reg.Dir)
	now := time.Now()
	if s.loaded && ok && gen == s.gen && now.Sub(s.checked) < recheck {
		return s.eps
	}
	var mtime time.Time
	if fi, err := os.Stat(s.reg.dir(s.net)); err == nil {
		mtime = fi.ModTime()
	}
	if s.loaded && mtime.Equal(s.mtime) && now.Sub(mtime) > recent && (!ok || gen == s.gen) {
		s.checked = now
		return s.eps
	}
	eps, err := s.reg.List(s.net)
	if err != nil {
		return s.eps
	}
	s.eps, s.mtime, s.gen, s.checked, s.loaded = eps, mtime, gen, now, true
	return eps
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
