package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
		sess, err := store.Start(ctx, a.Name, container.StartOptions{MonitorArgv: argv})
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
	cfg.Mounts = mp.mounts
	if len(mp.anonymous) > 0 {
		cfg.Labels[labelAnonymousVolumes] = anonymousLabel(mp.anonymous)
	}
	id := make([]byte, 32)
	rand.Read(id)
	cfg.ID = hex.EncodeToString(id)
	dir := e.host.containers.Dir(cfg.ID)
	rootfs, err := e.host.images.Rootfs(ctx, img, dir)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	cfg.Rootfs = container.Rootfs{Lower: rootfs.Lower, Upper: rootfs.Upper, Work: rootfs.Work}
	for target, volume := range mp.fresh {
		if err := copyImageContent(rootfs.Lower, target, volume); err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("copy the image's %s into its volume: %w", target, err)
		}
	}
	if _, err := e.host.containers.Create(cfg); err != nil {
		os.RemoveAll(dir)
		return err
	}
	return nil
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
