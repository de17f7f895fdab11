package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"stack/runtime/container"
)

// followLogs prints the selected containers' logs as they come until ctx
// ends. It keeps looking for containers: a replica that is recreated,
// restarted or scaled up is followed too, from where its log was left.
func followLogs(ctx context.Context, store *container.Store, sel logSelection, p *logPrinter) error {
	f := &follower{store: store, sel: sel, p: p, active: map[string]bool{}, seen: map[string]time.Time{}}
	first := true
	for {
		cs, err := projectContainersOf(store, sel)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.State.Status != container.StatusCreated {
				p.reserve(shortName(c))
			}
		}
		for _, c := range cs {
			f.maybeFollow(ctx, c, first)
		}
		first = false
		select {
		case <-ctx.Done():
			f.wg.Wait()
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type follower struct {
	store  *container.Store
	sel    logSelection
	p      *logPrinter
	wg     sync.WaitGroup
	mu     sync.Mutex
	active map[string]bool      // container IDs being followed
	seen   map[string]time.Time // time of the last line printed, by container ID
}

// maybeFollow starts following c unless it is followed already, or it has
// stopped and its log was read to the end.
func (f *follower) maybeFollow(ctx context.Context, c *container.Container, first bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	last, read := f.seen[c.ID]
	// A container not started yet has no log to follow, and a replacement
	// waits so under a temporary name: it is followed once it starts.
	if f.active[c.ID] || (read && !c.Running()) || c.State.Status == container.StatusCreated {
		return
	}
	opts := container.LogOptions{Tail: -1, Since: f.sel.since, Follow: true}
	if read {
		opts.Since = last.Add(time.Nanosecond)
	} else if first {
		opts.Tail = f.sel.tail
	}
	f.active[c.ID] = true
	f.seen[c.ID] = last
	name := shortName(c)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.store.ReadLogs(ctx, c.ID, opts, func(e container.LogEntry) error {
			if f.sel.keep(e) {
				f.p.print(name, e)
			}
			f.mu.Lock()
			f.seen[c.ID] = e.Time
			f.mu.Unlock()
			return nil
		})
		// The follow ends when the container stops, after its last line.
		if now, err := f.store.Get(c.ID); ctx.Err() == nil && err == nil && !now.Running() {
			f.p.notice(name, fmt.Sprintf("exited with code %d", now.State.ExitCode))
		}
		f.mu.Lock()
		f.active[c.ID] = false
		f.mu.Unlock()
	}()
}
