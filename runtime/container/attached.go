package container

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// RunAttached runs cfg in the foreground of the calling process, without a
// monitor, state on disk or log file, and returns the main process's exit
// code. It is what the image builder uses for RUN steps: cfg.Network.Mode
// "" means the host's network. Cancelling ctx kills the container. The
// caller must run as root; the rootfs is mounted in the container only.
func RunAttached(ctx context.Context, cfg *Config, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c := *cfg
	if c.Network.Mode == "" {
		c.Network.Mode = "host"
	}
	if err := c.validate(); err != nil {
		return -1, err
	}
	dir, err := os.MkdirTemp("", "stack-run-")
	if err != nil {
		return -1, err
	}
	defer os.RemoveAll(dir)
	rootfsDir := dir + "/rootfs"
	if err := os.Mkdir(rootfsDir, 0o700); err != nil {
		return -1, err
	}
	if err := writeEtcFiles(dir, &c, nil, false); err != nil {
		return -1, err
	}
	stdout, stderr = separateWriters(stdout, stderr)
	var stdio [3]*os.File
	var copies sync.WaitGroup
	var toClose []*os.File
	defer func() {
		for _, f := range toClose {
			f.Close()
		}
	}()
	if stdin != nil {
		r, w, err := os.Pipe()
		if err != nil {
			return -1, err
		}
		stdio[0] = r
		toClose = append(toClose, r)
		go func() { io.Copy(w, stdin); w.Close() }()
	}
	for i, out := range []io.Writer{stdout, stderr} {
		if out == nil {
			out = io.Discard
		}
		r, w, err := os.Pipe()
		if err != nil {
			return -1, err
		}
		stdio[i+1] = w
		toClose = append(toClose, w)
		copies.Add(1)
		go func() { defer copies.Done(); io.Copy(out, r); r.Close() }()
	}
	if stdio[0] == nil {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return -1, err
		}
		stdio[0] = null
		toClose = append(toClose, null)
	}
	inst, err := launch(ctx, launchSpec{
		Config: &c, RootfsDir: rootfsDir, Mounts: etcMounts(dir, false), Stdio: stdio,
		Cgroup: "stack/run-" + randomID()[:16],
	})
	// The init holds the pipes now; ours must go for the copies to see EOF.
	for _, f := range toClose {
		f.Close()
	}
	toClose = nil
	if err != nil {
		copies.Wait()
		return -1, fmt.Errorf("run: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { inst.sendSignal(unix.SIGKILL) })
	defer stop()
	code := inst.wait()
	inst.release()
	copies.Wait()
	if ctx.Err() != nil {
		return code, ctx.Err()
	}
	return code, nil
}
