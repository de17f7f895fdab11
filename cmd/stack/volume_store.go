package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Volumes live under <root>/volumes/<name>: volume.json describes one, and
// _data holds its contents unless its options bind another directory.

var (
	errVolumeNotFound = errors.New("no such volume")
	errVolumeExists   = errors.New("volume already exists")
	errVolumeInUse    = errors.New("volume is in use")
)

// volumeNamePattern is Docker's rule for volume names.
var volumeNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// labelAnonymous marks volumes made for a container's anonymous mounts.
const labelAnonymous = "com.docker.volume.anonymous"

// volume is the record of one volume, with Docker's field names so that
// `volume inspect` prints what docker prints.
type volume struct {
	CreatedAt  time.Time         `json:"CreatedAt"`
	Driver     string            `json:"Driver"`
	Labels     map[string]string `json:"Labels"`
	Mountpoint string            `json:"Mountpoint"`
	Name       string            `json:"Name"`
	Options    map[string]string `json:"Options"`
	Scope      string            `json:"Scope"`
}

type volumeStore struct{ dir string }

func openVolumes(g *globalOptions) *volumeStore {
	return &volumeStore{dir: filepath.Join(g.Root, "volumes")}
}

// create makes a volume. An empty name makes an anonymous volume with a
// random name.
func (s *volumeStore) create(name, driver string, labels, options map[string]string) (*volume, error) {
	if name == "" {
		b := make([]byte, 32)
		rand.Read(b)
		name = hex.EncodeToString(b)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[labelAnonymous] = ""
	}
	if !volumeNamePattern().MatchString(name) {
		return nil, fmt.Errorf("volume name %q: expected letters, digits, '_', '.' or '-', starting with a letter or digit", name)
	}
	if driver != "" && driver != "local" {
		return nil, fmt.Errorf("volume %q: driver %q is not supported: only local", name, driver)
	}
	v := &volume{
		CreatedAt: time.Now().UTC().Truncate(time.Second), Driver: "local", Labels: labels,
		Mountpoint: filepath.Join(s.dir, name, "_data"), Name: name, Options: options, Scope: "local",
	}
	if dev := options["device"]; dev != "" {
		if !strings.Contains(","+options["o"]+",", ",bind,") {
			return nil, fmt.Errorf("volume %q: driver option device needs o=bind (only bind devices are supported)", name)
		}
		v.Mountpoint = dev
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(s.dir, ".new-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(filepath.Join(tmp, "_data"), 0o755); err != nil {
		return nil, err
	}
	data, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "volume.json"), data, 0o600); err != nil {
		return nil, err
	}
	// Renaming a complete directory into place makes creation atomic, and
	// fails if the name is taken.
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, unixENOTEMPTY) {
			return nil, fmt.Errorf("volume %q: %w", name, errVolumeExists)
		}
		return nil, err
	}
	return v, nil
}

func (s *volumeStore) get(name string) (*volume, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, name, "volume.json"))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !volumeNamePattern().MatchString(name)) {
		return nil, fmt.Errorf("volume %q: %w", name, errVolumeNotFound)
	}
	if err != nil {
		return nil, err
	}
	v := &volume{}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("volume %q: %w", name, err)
	}
	return v, nil
}

// list returns every volume, by name.
func (s *volumeStore) list() ([]*volume, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*volume
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		v, err := s.get(e.Name())
		if errors.Is(err, errVolumeNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// remove deletes a volume and its contents (never a bound device's). The
// caller checks that no container uses it.
func (s *volumeStore) remove(name string) error {
	if _, err := s.get(name); err != nil {
		return err
	}
	dir := filepath.Join(s.dir, name)
	// Rename first, so that a crash mid-removal leaves no half volume.
	trash, err := os.MkdirTemp(s.dir, ".old-")
	if err != nil {
		return err
	}
	if err := os.Rename(dir, filepath.Join(trash, name)); err != nil {
		os.Remove(trash)
		return err
	}
	return os.RemoveAll(trash)
}

// unixENOTEMPTY is what rename(2) returns when the target directory exists
// and is not empty.
var unixENOTEMPTY = syscall.ENOTEMPTY
