package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"stack/runtime/cgroups"
)

// Store keeps containers on disk: configuration and last state under
// root/containers/<id>, live files (control socket, rootfs mount point)
// under runRoot/containers/<id>, names as links under root/names.
type Store struct {
	root, runRoot string
	// Hooks let the cleanup of a container whose monitor died release its
	// networking too. Optional.
	Hooks Hooks
}

// OpenStore opens (creating if needed) the container store.
func OpenStore(root, runRoot string) (*Store, error) {
	s := &Store{root: root, runRoot: runRoot}
	for _, d := range []string{filepath.Join(root, "containers"), filepath.Join(root, "names"), filepath.Join(runRoot, "containers")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("container store: %w", err)
		}
	}
	return s, nil
}

// validName is docker's rule for names, [a-zA-Z0-9][a-zA-Z0-9_.-]*, without
// a regexp compiled at every start of the binary (the init is the binary too).
func validName(name string) bool {
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || r != '_' && r != '.' && r != '-') {
			return false
		}
	}
	return name != ""
}

// Create records a new container. A missing ID or name is generated; the
// name is reserved atomically, so concurrent creates cannot share one. A
// writable root without upper directory gets one in the container's
// directory.
func (s *Store) Create(cfg *Config) (*Container, error) {
	c := &Container{Config: *cfg}
	if c.ID == "" {
		c.ID = randomID()
	}
	if c.Created.IsZero() {
		c.Created = time.Now().UTC()
	}
	dir, _ := stateDirs(s.root, s.runRoot, c.ID)
	if c.Rootfs.Upper == "" && !c.Rootfs.ReadOnly {
		c.Rootfs.Upper, c.Rootfs.Work = filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	}
	if c.Hostname == "" {
		c.Hostname = c.ID[:12]
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if err := s.reserveName(c); err != nil {
		return nil, err
	}
	c.State = State{Status: StatusCreated}
	err := os.MkdirAll(dir, 0o700)
	for _, d := range []string{c.Rootfs.Upper, c.Rootfs.Work} {
		if err == nil && d != "" {
			err = os.MkdirAll(d, 0o755)
		}
	}
	if err == nil {
		err = writeJSON(filepath.Join(dir, "config.json"), &c.Config)
	}
	if err == nil {
		err = writeJSON(filepath.Join(dir, "state.json"), &c.State)
	}
	if err != nil {
		s.removeFiles(c)
		return nil, fmt.Errorf("create container: %w", err)
	}
	return c, nil
}

func (s *Store) reserveName(c *Container) error {
	if c.Name != "" {
		c.Name = strings.TrimPrefix(c.Name, "/")
		if !validName(c.Name) {
			return fmt.Errorf("container name %q: expected [a-zA-Z0-9][a-zA-Z0-9_.-]*", c.Name)
		}
		if err := os.Symlink(c.ID, s.namePath(c.Name)); err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%w: %q", ErrNameInUse, c.Name)
			}
			return err
		}
		return nil
	}
	for attempt := 0; ; attempt++ {
		c.Name = generateName(attempt)
		err := os.Symlink(c.ID, s.namePath(c.Name))
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return err
		}
	}
}

func (s *Store) namePath(name string) string { return filepath.Join(s.root, "names", name) }

// Dir returns the container's persistent directory (logs, config, upper).
func (s *Store) Dir(id string) string { dir, _ := stateDirs(s.root, s.runRoot, id); return dir }

// RunDir returns the container's live directory (control socket).
func (s *Store) RunDir(id string) string { _, run := stateDirs(s.root, s.runRoot, id); return run }

// Names returns the names of all containers, unordered: one directory read,
// without loading any container.
func (s *Store) Names() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, "names"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

// List returns every container, oldest first. A container whose monitor
// has died is cleaned up on the way and reported dead.
func (s *Store) List() ([]*Container, error) {
	return s.list(s.load)
}

// ListSummaries is List for listings and the planner, which need of each
// container what `ps` shows and its state: of its Config, just ID, Name,
// Image, ImageID, Created, Labels, the command (Process.Args) and the
// published and exposed ports (Network.Ports, Network.Exposed) are read,
// the rest is left zero.
// Decoding the whole Config costs a short command a millisecond of
// start-up.
func (s *Store) ListSummaries() ([]*Container, error) {
	return s.list(func(id string) (*Container, error) { return s.loadSummary(id, true) })
}

// ListIdentities is ListSummaries without the command and ports: the
// planner needs of each container its identity, labels and state only,
// and each type decoded costs a short command its own set-up.
func (s *Store) ListIdentities() ([]*Container, error) {
	return s.list(func(id string) (*Container, error) { return s.loadSummary(id, false) })
}

func (s *Store) list(load func(id string) (*Container, error)) ([]*Container, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, "containers"))
	if err != nil {
		return nil, err
	}
	var out []*Container
	for _, e := range entries {
		c, err := load(e.Name())
		if err != nil {
			continue // being created or removed right now
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Get finds a container by name, full ID or unique ID prefix.
func (s *Store) Get(ref string) (*Container, error) {
	ref = strings.TrimPrefix(ref, "/")
	if id, err := os.Readlink(s.namePath(ref)); err == nil && ref != "" {
		if c, err := s.load(id); err == nil {
			return c, nil
		}
	}
	if len(ref) < 1 || strings.ContainsAny(ref, "/.") {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	if c, err := s.load(ref); err == nil {
		return c, nil
	}
	matches, _ := filepath.Glob(filepath.Join(s.root, "containers", ref+"*"))
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	case 1:
		return s.load(filepath.Base(matches[0]))
	}
	return nil, fmt.Errorf("%w: %s", ErrAmbiguous, ref)
}

func (s *Store) load(id string) (*Container, error) {
	dir, _ := stateDirs(s.root, s.runRoot, id)
	c := &Container{}
	if err := readJSON(filepath.Join(dir, "config.json"), &c.Config); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, "state.json"), &c.State); err != nil {
		return nil, err
	}
	if c.State.MonitorPid > 0 && !c.State.monitorAlive() {
		s.reapDead(c)
	}
	c.State.Paused = c.Running() && frozen(c.ID)
	return c, nil
}

// loadSummary is load, reading of config.json only the fields
// ListSummaries promises (ListIdentities' without listing); a container
// whose monitor died is loaded whole, to be cleaned up.
func (s *Store) loadSummary(id string, listing bool) (*Container, error) {
	dir, _ := stateDirs(s.root, s.runRoot, id)
	type identity struct {
		ID      string            `json:"id"`
		Name    string            `json:"name"`
		Image   string            `json:"image"`
		ImageID string            `json:"imageId"`
		Created time.Time         `json:"created"`
		Labels  map[string]string `json:"labels"`
	}
	var c *Container
	if listing {
		var sum struct {
			identity
			Process struct {
				Args []string `json:"args"`
			} `json:"process"`
			Network struct {
				Ports   []PortBinding // untagged in NetworkConfig
				Exposed []Port
			} `json:"network"`
		}
		if err := readJSON(filepath.Join(dir, "config.json"), &sum); err != nil {
			return nil, err
		}
		c = &Container{Config: Config{ID: sum.ID, Name: sum.Name, Image: sum.Image, ImageID: sum.ImageID, Created: sum.Created, Labels: sum.Labels}}
		c.Process.Args, c.Network.Ports, c.Network.Exposed = sum.Process.Args, sum.Network.Ports, sum.Network.Exposed
	} else {
		var ident identity
		if err := readJSON(filepath.Join(dir, "config.json"), &ident); err != nil {
			return nil, err
		}
		c = &Container{Config: Config{ID: ident.ID, Name: ident.Name, Image: ident.Image, ImageID: ident.ImageID, Created: ident.Created, Labels: ident.Labels}}
	}
	if err := readJSON(filepath.Join(dir, "state.json"), &c.State); err != nil {
		return nil, err
	}
	if c.State.MonitorPid > 0 && !c.State.monitorAlive() {
		return s.load(id)
	}
	c.State.Paused = c.Running() && frozen(c.ID)
	return c, nil
}

// saveState records st as the container's state.
func (s *Store) saveState(id string, st *State) error {
	dir, _ := stateDirs(s.root, s.runRoot, id)
	return writeJSON(filepath.Join(dir, "state.json"), st)
}

// reapDead cleans what a dead monitor left: the container's processes (its
// init died with the monitor, but be sure), cgroup, networking and live
// files. Whoever holds the container's lock does it; others just report.
func (s *Store) reapDead(c *Container) {
	unlock, err := s.lock(c.ID)
	if err != nil {
		return
	}
	defer unlock()
	dir, runDir := stateDirs(s.root, s.runRoot, c.ID)
	var fresh State
	if readJSON(filepath.Join(dir, "state.json"), &fresh) == nil && (fresh.MonitorPid == 0 || fresh.monitorAlive()) {
		c.State = fresh // someone else cleaned up or restarted it meanwhile
		return
	}
	s.releaseResources(c)
	os.RemoveAll(runDir)
	wasRunning := c.Running()
	c.State.MonitorPid, c.State.MonitorStart, c.State.Pid = 0, 0, 0
	if wasRunning {
		c.State.Status = StatusDead
		c.State.ExitCode = 137
		c.State.FinishedAt = time.Now().UTC()
		c.State.Error = "the container's monitor died; the container was killed with it"
	}
	s.saveState(c.ID, &c.State)
}

// releaseResources undoes what a run of the container holds on the host.
// It is idempotent: each part tolerates being gone already.
func (s *Store) releaseResources(c *Container) {
	cgroups.Open(cgroupName(c.ID)).Destroy()
	if s.Hooks.Network != nil && c.Network.Mode != "host" && c.Network.Mode != "none" && !strings.HasPrefix(c.Network.Mode, "container:") {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s.Hooks.Network.Detach(ctx, c.ID, c.Network)
		cancel()
	}
}

func cgroupName(id string) string { return "stack/" + id }

// lock takes the container's exclusive lock.
func (s *Store) lock(id string) (func(), error) {
	dir, _ := stateDirs(s.root, s.runRoot, id)
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// Remove deletes a stopped container and everything it owns on disk.
func (s *Store) Remove(ref string) error {
	c, err := s.Get(ref)
	if err != nil {
		return err
	}
	if c.Running() {
		return fmt.Errorf("%w: %s: stop it first or use force", ErrRunning, c.Name)
	}
	if !c.State.Released {
		s.releaseResources(c)
	}
	return s.removeFiles(c)
}

func (s *Store) removeFiles(c *Container) error {
	dir, runDir := stateDirs(s.root, s.runRoot, c.ID)
	if id, err := os.Readlink(s.namePath(c.Name)); err == nil && id == c.ID {
		os.Remove(s.namePath(c.Name))
	}
	os.RemoveAll(runDir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove container %s: %w", c.Name, err)
	}
	return nil
}

var (
	nameAdjectives = []string{"brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen",
		"lucid", "merry", "nimble", "proud", "quiet", "rapid", "sharp", "tender", "upbeat", "vivid", "witty", "zealous"}
	nameNouns = []string{"albatross", "badger", "condor", "dolphin", "falcon", "gecko", "heron", "ibis",
		"jaguar", "koala", "lynx", "marten", "narwhal", "otter", "panda", "quokka", "raven", "stork", "tapir", "walrus"}
)

// generateName returns Docker-style adjective_noun names, with a numeric
// suffix once the plain combinations are likely taken.
func generateName(attempt int) string {
	b := make([]byte, 2)
	randRead(b)
	name := nameAdjectives[int(b[0])%len(nameAdjectives)] + "_" + nameNouns[int(b[1])%len(nameNouns)]
	if attempt >= 5 {
		name += fmt.Sprintf("%d", attempt)
	}
	return name
}
