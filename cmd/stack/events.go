package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"stack/planner"
	"stack/runtime/container"
)

func init() {
	register("", "events", newEventsCommand)
}

type eventsOptions struct {
	global   *globalOptions
	services []string
	json     bool
	out      io.Writer
}

func newEventsCommand(g *globalOptions) *cobra.Command {
	o := &eventsOptions{global: g}
	cmd := &cobra.Command{
		Use:   "events [OPTIONS] [SERVICE...]",
		Short: "Stream the project's container events: create, start, pause, unpause, die, health_status, destroy",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services, o.out = args, cmd.OutOrStdout()
			return runEvents(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "one JSON object per event")
	return cmd
}

// projectEvent is one line of events, with Compose's JSON fields.
type projectEvent struct {
	Time       time.Time         `json:"time"`
	Type       string            `json:"type"`
	Action     string            `json:"action"`
	ID         string            `json:"id"`
	Service    string            `json:"service"`
	Attributes map[string]string `json:"attributes"`
}

// runEvents watches the state files of the project's containers: the
// runtime has no event bus, and polling a few small files is cheap.
func runEvents(ctx context.Context, o *eventsOptions) error {
	s, err := openProject(ctx, o.global, false)
	if err != nil {
		return err
	}
	sel := logSelection{project: s.project.Name}
	if sel.services, err = serviceSet(s.project.Services, o.services); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	known := map[string]container.Container{}
	if cs, err := projectContainersOf(s.host.containers, sel); err == nil {
		for _, c := range cs {
			known[c.ID] = *c
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
		cs, err := projectContainersOf(s.host.containers, sel)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, c := range cs {
			seen[c.ID] = true
			old, ok := known[c.ID]
			for _, action := range containerChanges(old, ok, c) {
				o.print(action, c)
			}
			known[c.ID] = *c
		}
		for id, c := range known {
			if !seen[id] {
				o.print("destroy", &c)
				delete(known, id)
			}
		}
	}
}

// containerChanges names what happened between two states of a container.
func containerChanges(old container.Container, known bool, now *container.Container) []string {
	var out []string
	if !known {
		out = append(out, "create")
	}
	if now.Running() && (!known || !old.Running() || old.State.StartedAt != now.State.StartedAt) && !now.State.StartedAt.IsZero() {
		out = append(out, "start")
	}
	if !now.Running() && known && (old.Running() || old.State.FinishedAt != now.State.FinishedAt) && !now.State.FinishedAt.IsZero() {
		out = append(out, "die")
	}
	if known && now.Running() && old.Running() && old.State.Paused != now.State.Paused {
		out = append(out, map[bool]string{true: "pause", false: "unpause"}[now.State.Paused])
	}
	if h := now.State.Health; h != nil && (old.State.Health == nil || old.State.Health.Status != h.Status) && h.Status != "starting" {
		out = append(out, "health_status: "+h.Status)
	}
	return out
}

func (o *eventsOptions) print(action string, c *container.Container) {
	e := projectEvent{
		Time: time.Now().UTC(), Type: "container", Action: action, ID: c.ID, Service: c.Labels[planner.LabelService],
		Attributes: map[string]string{"name": c.Name, "image": c.Image},
	}
	if action == "die" {
		e.Attributes["exitCode"] = fmt.Sprint(c.State.ExitCode)
	}
	if o.json {
		json.NewEncoder(o.out).Encode(e)
		return
	}
	fmt.Fprintf(o.out, "%s container %s %s (image=%s, name=%s)\n", e.Time.Format("2006-01-02 15:04:05.000000"), action, c.ID, c.Image, c.Name)
}
