package image

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// overlayFeatures are forced off so that an upper directory holds every
// change itself: with redirect_dir a renamed directory would only point into
// a lower layer, and CommitLayer, which tars the upper directory, would lose
// its content. (Renaming a lower directory then fails with EXDEV and tools
// fall back to copying, as they do on Docker's overlay2.)
var overlayFeatures = [][2]string{{"redirect_dir", "off"}, {"index", "off"}, {"metacopy", "off"}}

// Options returns the mount(2) data string for m. Paths are escaped as
// overlayfs expects. The kernel reads at most one page of data, so a deep
// image may not fit; MountAt has no such limit.
func (m Mount) Options() string {
	lower := make([]string, len(m.Lower))
	for i, l := range m.Lower {
		lower[i] = escapeOverlay(l)
	}
	opts := []string{"lowerdir=" + strings.Join(lower, ":"), "upperdir=" + escapeOverlay(m.Upper), "workdir=" + escapeOverlay(m.Work)}
	for _, f := range overlayFeatures {
		opts = append(opts, f[0]+"="+f[1])
	}
	return strings.Join(opts, ",")
}

func escapeOverlay(p string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`, `,`, `\,`).Replace(p)
}

// MountAt mounts m on target in the caller's mount namespace, without
// device access (nodev): layers may carry device nodes (a debootstrapped
// /dev does), and a container gets its /dev from a tmpfs of its own.
//
// It uses the new mount API and passes the lower directories one at a time
// with "lowerdir+" (Linux 6.8 and later), so the number of layers is not
// bounded by the one-page limit of mount(2) data. On older kernels it falls
// back to mount(2) with Options, and reports a clear error when that does not
// fit in a page rather than mounting something else.
func (m Mount) MountAt(target string) error {
	err := m.mountNew(target)
	if err == nil || !errors.Is(err, errUseLegacyMount) {
		return err
	}
	data := m.Options()
	if len(data) >= os.Getpagesize() {
		return fmt.Errorf("overlay on %s: %d layers need %d bytes of mount options, more than this kernel accepts (needs Linux 6.8 for more)", target, len(m.Lower), len(data))
	}
	if err := unix.Mount("overlay", target, "overlay", unix.MS_NODEV, data); err != nil {
		return fmt.Errorf("mount overlay on %s: %w", target, err)
	}
	return nil
}

var errUseLegacyMount = errors.New("new mount API unavailable")

func (m Mount) mountNew(target string) error {
	fd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("%w: %v", errUseLegacyMount, err)
	}
	defer unix.Close(fd)
	for i, l := range m.Lower {
		if err := unix.FsconfigSetString(fd, "lowerdir+", l); err != nil {
			if i == 0 && errors.Is(err, unix.EINVAL) {
				return fmt.Errorf("%w: lowerdir+: %v", errUseLegacyMount, err)
			}
			return fmt.Errorf("overlay lower %s: %w", l, err)
		}
	}
	settings := append([][2]string{{"upperdir", m.Upper}, {"workdir", m.Work}}, overlayFeatures...)
	for _, kv := range settings {
		if err := unix.FsconfigSetString(fd, kv[0], kv[1]); err != nil {
			return fmt.Errorf("overlay %s=%s: %w", kv[0], kv[1], err)
		}
	}
	if err := unix.FsconfigCreate(fd); err != nil {
		return fmt.Errorf("create overlay for %s: %w", target, err)
	}
	mfd, err := unix.Fsmount(fd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return fmt.Errorf("fsmount overlay: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mount overlay on %s: %w", target, err)
	}
	return nil
}
