package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"stack/planner"
	"stack/runtime/container"
)

// renamer is the runtime's container rename, when the runtime has one.
type renamer interface {
	Rename(ref, name string) error
}

// canRename reports whether recreate can make the new container first and
// rename it once the old one is gone.
func (h *host) canRename() bool {
	_, ok := any(h.containers).(renamer)
	return ok
}

func (e *executor) executeContainer(ctx context.Context, action planner.Action) error {
	store := e.host.containers
	switch a := action.(type) {
	case planner.CreateContainer:
		return e.createContainer(ctx, a)
	case planner.StartContainer:
		argv, err := monitorArgv(e.host.global)
		if err != nil {
			return err
		}
		sess, err := store.Start(ctx, a.Name, container.StartOptions{MonitorArgv: argv, Early: e.takeEarly(a.Name)})
		if err != nil {
			return err
		}
		_, err = sess.Wait()
		return err
	case planner.StopContainer:
		timeout := time.Duration(-1)
		if a.Timeout != nil {
			timeout = *a.Timeout
		}
		return ignoreNotFound(store.Stop(ctx, a.Container.ID, "", timeout))
	case planner.RemoveContainer:
		return e.removeContainer(a)
	case planner.RenameContainer:
		r, ok := any(store).(renamer)
		if !ok {
			return fmt.Errorf("the container runtime cannot rename containers")
		}
		return r.Rename(a.From, a.To)
	case planner.AwaitContainer:
		return awaitContainer(ctx, store, a)
	}
	return fmt.Errorf("unknown action %T", action)
}

func ignoreNotFound(err error) error {
	if errors.Is(err, container.ErrNotFound) {
		return nil
	}
	return err
}

// createContainer makes one replica: its image's root filesystem, its
// volumes (taking over those of the container it replaces) and its record.
func (e *executor) createContainer(ctx context.Context, a planner.CreateContainer) error {
	img, imgConfig, err := e.imageConfig(a.Image)
	if err != nil {
		return err
	}
	cfg, err := containerConfig(e.project, a, img.ID.String(), imgConfig)
	if err != nil {
		return err
	}
	var inherited map[string]string
	if a.Inherit != nil {
		inherited = parseAnonymousLabel(a.Inherit.Labels[labelAnonymousVolumes])
	}
	secrets := e.host.global.RunRoot + "/projects/" + e.project.Name
	mp, err := serviceMounts(e.project, a.Config, e.host.volumes, secrets, inherited)
	if err != nil {
		return err
	}
	cfg.Mounts = append(cfg.Mounts, mp.mounts...) // after the devices
	if len(mp.anonymous) > 0 {
		cfg.Labels[labelAnonymousVolumes] = anonymousLabel(mp.anonymous)
	}
	id := make([]byte, 32)
	rand.Read(id)
	cfg.ID = hex.EncodeToString(id)
	early := e.prestart(cfg.ID, a.StartName)
	dir := e.host.containers.Dir(cfg.ID)
	rootfs, err := e.host.images.Rootfs(ctx, img, dir)
	if err != nil {
		early.Cancel()
		os.RemoveAll(dir)
		return err
	}
	cfg.Rootfs = container.Rootfs{Lower: rootfs.Lower, Upper: rootfs.Upper, Work: rootfs.Work}
	for target, volume := range mp.fresh {
		if err := copyImageContent(rootfs.Lower, target, volume); err != nil {
			early.Cancel()
			os.RemoveAll(dir)
			return fmt.Errorf("copy the image's %s into its volume: %w", target, err)
		}
	}
	if _, err := e.host.containers.Create(cfg); err != nil {
		early.Cancel()
		os.RemoveAll(dir)
		return err
	}
	e.keepEarly(a.StartName, early)
	return nil
}

// prestart starts the monitor of a container about to be created under id
// when the plan starts it (as startName): the monitor's own start-up, tens
// of milliseconds, then overlaps the container's creation and, in a
// recreate, the stop and removal of the container it replaces, instead of
// following them. Nil when there is no start to prepare, or when the
// monitor could not be started early: the start then starts one itself.
func (e *executor) prestart(id, startName string) *container.EarlyMonitor {
	if startName == "" {
		return nil
	}
	argv, err := monitorArgv(e.host.global)
	if err != nil {
		return nil
	}
	early, err := e.host.containers.Prestart(id, container.StartOptions{MonitorArgv: argv})
	if err != nil {
		return nil
	}
	return early
}

// keepEarly holds an early monitor for the start of the container under name.
func (e *executor) keepEarly(name string, early *container.EarlyMonitor) {
	if early == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.early == nil {
		e.early = map[string]*container.EarlyMonitor{}
	}
	e.early[name] = early
}

// takeEarly hands over the early monitor of the container started as
// name, if there is one.
func (e *executor) takeEarly(name string) *container.EarlyMonitor {
	e.mu.Lock()
	defer e.mu.Unlock()
	early := e.early[name]
	delete(e.early, name)
	return early
}

// cancelEarly ends the early monitors whose start never came (a step it
// waited for failed), so that they do not wait for this process's exit.
func (e *executor) cancelEarly() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for name, early := range e.early {
		early.Cancel()
		delete(e.early, name)
	}
}

// removeContainer removes a container and, when asked, the anonymous
// volumes it recorded.
func (e *executor) removeContainer(a planner.RemoveContainer) error {
	c, err := e.host.containers.Get(a.Container.ID)
	if errors.Is(err, container.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := e.host.containers.Remove(c.ID); err != nil {
		return ignoreNotFound(err)
	}
	if !a.Volumes {
		return nil
	}
	var errs []error
	anonymous := parseAnonymousLabel(c.Labels[labelAnonymousVolumes])
	for _, target := range sortedNames(anonymous) {
		if err := e.host.volumes.remove(anonymous[target]); err != nil && !errors.Is(err, errVolumeNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// awaitContainer waits until a container meets a depends_on condition, or
// fails with why it never will.
func awaitContainer(ctx context.Context, store *container.Store, a planner.AwaitContainer) error {
	for {
		c, err := store.Get(a.Name)
		if err != nil {
			return err
		}
		done, err := conditionMet(c, a.Condition)
		if done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for %s to be %s: %w", a.Name, conditionWord(a.Condition), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func conditionWord(c planner.Condition) string {
	switch c {
	case planner.ConditionHealthy:
		return "healthy"
	case planner.ConditionCompleted:
		return "completed"
	}
	return "started"
}

func conditionMet(c *container.Container, cond planner.Condition) (bool, error) {
	st := c.State
	exited := st.Status == container.StatusExited || st.Status == container.StatusDead
	switch cond {
	case planner.ConditionCompleted:
		if exited && st.ExitCode == 0 {
			return true, nil
		}
		if exited {
			return false, fmt.Errorf("container %s exited (%d)", c.Name, st.ExitCode)
		}
		return false, nil
	case planner.ConditionHealthy:
		if c.Health == nil {
			return false, fmt.Errorf("container %s has no healthcheck", c.Name)
		}
		if exited {
			return false, fmt.Errorf("container %s exited (%d) before it was healthy", c.Name, st.ExitCode)
		}
		if st.Health == nil {
			return false, nil
		}
		switch st.Health.Status {
		case "healthy":
			return true, nil
		case "unhealthy":
			return false, fmt.Errorf("container %s is unhealthy%s", c.Name, lastProbe(st.Health))
		}
		return false, nil
	}
	if exited {
		return false, fmt.Errorf("container %s exited (%d)", c.Name, st.ExitCode)
	}
	return st.Status == container.StatusRunning, nil
}

func lastProbe(h *container.HealthState) string {
	if len(h.Log) == 0 {
		return ""
	}
	p := h.Log[len(h.Log)-1]
	return fmt.Sprintf(": last probe exited %d: %s", p.ExitCode, strings.TrimSpace(p.Output))
}

// replacementTarget returns the name a replacement container left under
// its temporary name ("<12 hex of the old ID>_<name>") was to take, and
// the ID prefix of the container it replaces; ok is false for any other
// container.
func replacementTarget(c *container.Container) (name, oldPrefix string, ok bool) {
	if c.Labels[planner.LabelReplace] == "" || c.Labels[planner.LabelOneOff] == "True" || len(c.Name) < 14 || c.Name[12] != '_' {
		return "", "", false
	}
	if !isLowerHex(c.Name[:12]) {
		return "", "", false
	}
	return c.Name[13:], c.Name[:12], true
}

// mayHaveReplacements tells from the names alone, without loading every
// container, whether any container has a replacement's temporary name.
func (h *host) mayHaveReplacements() bool {
	names, err := h.containers.Names()
	if err != nil {
		return true // let the full look say what is wrong
	}
	for _, n := range names {
		if len(n) >= 14 && n[12] == '_' && isLowerHex(n[:12]) {
			return true
		}
	}
	return false
}

func isLowerHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// recoverReplacements finishes or undoes the recreates of the project
// that a killed `stack` left between creating the replacement and
// renaming it, so that the plan computed next sees one container per
// replica under its right name. While the replaced container still exists
// the replacement is removed (the next plan recreates again if still
// needed); once it is gone the replacement is renamed, keeping the
// anonymous volumes it took over.
func (h *host) recoverReplacements(ctx context.Context, project string, progress io.Writer) error {
	if !h.canRename() || !h.mayHaveReplacements() {
		return nil
	}
	all, err := h.containers.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range all {
		if c.Labels[planner.LabelProject] != project {
			continue
		}
		target, oldPrefix, ok := replacementTarget(c)
		if !ok {
			continue
		}
		var old *container.Container
		for _, o := range all {
			if strings.HasPrefix(o.ID, oldPrefix) && o.ID != c.ID && o.Labels[planner.LabelProject] == project {
				old = o
			}
		}
		taken, err := h.containers.Get(target)
		if err == nil && taken.ID != c.ID && old == nil {
			old = taken // the name went to another container meanwhile
		}
		if old != nil {
			err = h.dropReplacement(ctx, c, old)
			if err == nil {
				fmt.Fprintf(progress, " Container %s  Removed (left by an interrupted recreate of %s)\n", c.Name, old.Name)
			}
		} else {
			err = any(h.containers).(renamer).Rename(c.ID, target)
			if err == nil {
				fmt.Fprintf(progress, " Container %s -> %s  Renamed (finishing an interrupted recreate)\n", c.Name, target)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("recover the interrupted recreate of %s: %w", target, err))
		}
	}
	return errors.Join(errs...)
}

// dropReplacement removes a replacement whose original still exists, with
// the anonymous volumes it made for itself but not those it took over.
func (h *host) dropReplacement(ctx context.Context, c, old *container.Container) error {
	if c.Running() {
		if err := h.containers.Stop(ctx, c.ID, "KILL", 0); err != nil {
			return err
		}
	}
	if err := h.containers.Remove(c.ID); err != nil {
		return ignoreNotFound(err)
	}
	inherited := map[string]bool{}
	for _, name := range parseAnonymousLabel(old.Labels[labelAnonymousVolumes]) {
		inherited[name] = true
	}
	var errs []error
	for _, name := range parseAnonymousLabel(c.Labels[labelAnonymousVolumes]) {
		if inherited[name] {
			continue
		}
		if err := h.volumes.remove(name); err != nil && !errors.Is(err, errVolumeNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
