package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Rename gives a container, running or not, a new name. The new name is
// reserved first, as Create reserves one, so a concurrent create or rename
// to the same name fails cleanly; then the configuration is rewritten
// atomically; only then is the old name released. A crash in between
// leaves the container reachable by both names, never by none.
//
// The monitor of a running container keeps no copy of the name; records
// published elsewhere under the old name (DNS) are the caller's to update.
func (s *Store) Rename(ref, newName string) error {
	newName = strings.TrimPrefix(newName, "/")
	if !validName(newName) {
		return fmt.Errorf("container name %q: expected [a-zA-Z0-9][a-zA-Z0-9_.-]*", newName)
	}
	c, err := s.Get(ref)
	if err != nil {
		return err
	}
	unlock, err := s.lock(c.ID)
	if err != nil {
		return err
	}
	defer unlock()
	// Another rename may have run while we waited for the lock.
	dir, _ := stateDirs(s.root, s.runRoot, c.ID)
	var cfg Config
	if err := readJSON(filepath.Join(dir, "config.json"), &cfg); err != nil {
		return fmt.Errorf("rename %s: %w", ref, err)
	}
	oldName := cfg.Name
	if oldName == newName {
		return fmt.Errorf("rename %s: the container is already named %q", ref, newName)
	}
	if err := os.Symlink(c.ID, s.namePath(newName)); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("rename %s: %w: %q", oldName, ErrNameInUse, newName)
		}
		return fmt.Errorf("rename %s: %w", oldName, err)
	}
	cfg.Name = newName
	if err := writeJSON(filepath.Join(dir, "config.json"), &cfg); err != nil {
		os.Remove(s.namePath(newName))
		return fmt.Errorf("rename %s: %w", oldName, err)
	}
	if id, err := os.Readlink(s.namePath(oldName)); err == nil && id == c.ID {
		os.Remove(s.namePath(oldName))
	}
	return nil
}
