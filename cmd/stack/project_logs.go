package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"stack/planner"
	"stack/runtime/container"
)

// logPrinter writes log lines of several containers to one stream, each
// prefixed with its container's short name ("web-1 | "), colored per
// container when the stream is a terminal.
type logPrinter struct {
	mu         sync.Mutex
	out        io.Writer
	color      bool
	prefix     bool
	timestamps bool
	width      int
	colors     map[string]string
}

var logColors = []string{"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"}

func newLogPrinter(out io.Writer, noColor, noPrefix, timestamps bool) *logPrinter {
	return &logPrinter{out: out, color: !noColor && isTerminal(out), prefix: !noPrefix, timestamps: timestamps, colors: map[string]string{}}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// shortName is how Compose names a container in log prefixes: its
// service and number, or its container_name.
func shortName(c *container.Container) string {
	service, number := c.Labels[planner.LabelService], c.Labels[planner.LabelNumber]
	if service == "" || number == "" || c.Name != c.Labels[planner.LabelProject]+"-"+service+"-"+number {
		return c.Name
	}
	return service + "-" + number
}

// reserve makes the prefix column wide enough for name.
func (p *logPrinter) reserve(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.width = max(p.width, len(name))
	if _, ok := p.colors[name]; !ok {
		p.colors[name] = logColors[len(p.colors)%len(logColors)]
	}
}

func (p *logPrinter) print(name string, e container.LogEntry) {
	p.reserve(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if p.prefix {
		head := fmt.Sprintf("%-*s |", p.width, name)
		if p.color {
			head = "\x1b[" + p.colors[name] + "m" + head + "\x1b[0m"
		}
		b.WriteString(head + " ")
	}
	if p.timestamps {
		b.WriteString(e.Time.UTC().Format(time.RFC3339Nano) + " ")
	}
	line := strings.TrimSuffix(e.Log, "\n")
	b.WriteString(line + "\n")
	io.WriteString(p.out, b.String())
}

// notice prints a line about a container, such as its exit.
func (p *logPrinter) notice(name, msg string) {
	p.reserve(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "%s %s\n", name, msg)
}

// logSelection says which log lines of which containers to show.
type logSelection struct {
	project  string
	services map[string]bool // nil: all
	tail     int             // negative: all
	since    time.Time
	until    time.Time
}

func (sel logSelection) wants(c *container.Container) bool {
	if c.Labels[planner.LabelProject] != sel.project {
		return false
	}
	return sel.services == nil || sel.services[c.Labels[planner.LabelService]]
}

func (sel logSelection) keep(e container.LogEntry) bool {
	return sel.until.IsZero() || !e.Time.After(sel.until)
}

// projectContainersOf lists the selected containers by service and number.
func projectContainersOf(store *container.Store, sel logSelection) ([]*container.Container, error) {
	return selectContainers(store.List, sel)
}

// selectContainers is projectContainersOf over the containers list gives.
func selectContainers(list func() ([]*container.Container, error), sel logSelection) ([]*container.Container, error) {
	all, err := list()
	if err != nil {
		return nil, err
	}
	var out []*container.Container
	for _, c := range all {
		if sel.wants(c) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		si, sj := out[i].Labels[planner.LabelService], out[j].Labels[planner.LabelService]
		if si != sj {
			return si < sj
		}
		ni, _ := strconv.Atoi(out[i].Labels[planner.LabelNumber])
		nj, _ := strconv.Atoi(out[j].Labels[planner.LabelNumber])
		if ni != nj {
			return ni < nj
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// printLogs prints the selected containers' logs once, merged in time order.
func printLogs(ctx context.Context, store *container.Store, sel logSelection, p *logPrinter) error {
	cs, err := projectContainersOf(store, sel)
	if err != nil {
		return err
	}
	type line struct {
		name string
		e    container.LogEntry
	}
	var lines []line
	for _, c := range cs {
		name := shortName(c)
		p.reserve(name)
		err := store.ReadLogs(ctx, c.ID, container.LogOptions{Tail: sel.tail, Since: sel.since}, func(e container.LogEntry) error {
			if sel.keep(e) {
				lines = append(lines, line{name, e})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].e.Time.Before(lines[j].e.Time) })
	for _, l := range lines {
		p.print(l.name, l.e)
	}
	return nil
}
