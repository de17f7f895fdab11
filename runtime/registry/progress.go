package registry

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progress shows one row per layer: redrawn bars on a terminal, a plain line
// per change of status otherwise (logs, CI). A nil *progress shows nothing.
type progress struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	rows  []*row
	byID  map[string]*row
	drawn int // rows on screen, to move the cursor back over them
	last  time.Time
}

type row struct {
	id      string
	status  string
	current int64
	total   int64
}

// Layer statuses, worded as Docker words them.
const (
	statusWaiting     = "Waiting"
	statusDownloading = "Downloading"
	statusDownloaded  = "Download complete"
	statusPulled      = "Pull complete"
	statusExists      = "Already exists"
	statusPreparing   = "Preparing"
	statusCompressing = "Compressing"
	statusPushing     = "Pushing"
	statusPushed      = "Pushed"
	statusSkipped     = "Layer already exists"
)

// redrawEvery limits how often a terminal is repainted.
const redrawEvery = 100 * time.Millisecond

func newProgress(w io.Writer) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, tty: isTerminal(w), byID: map[string]*row{}}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// shortID is the 12 hex digits Docker shows for a layer.
func shortID(digest string) string {
	_, hex, _ := strings.Cut(digest, ":")
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

// set gives a layer a status; a new id gets a new row.
func (p *progress) set(id, status string, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.byID[id]
	if !ok {
		r = &row{id: id}
		p.byID[id] = r
		p.rows = append(p.rows, r)
	}
	changed := r.status != status
	if changed && (status == statusDownloading || status == statusPushing) {
		r.current = 0 // a retried transfer starts over
	}
	r.status, r.total = status, total
	if p.tty {
		p.draw(true)
	} else if changed {
		fmt.Fprintf(p.w, "%s: %s\n", id, status)
	}
}

// advance adds n transferred bytes to a layer's row.
func (p *progress) advance(id string, n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.byID[id]; ok {
		r.current += n
	}
	if p.tty {
		p.draw(false)
	}
}

// printf writes a line below the rows, which stay where they are.
func (p *progress) printf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.draw(true)
		p.drawn = 0
		p.rows, p.byID = nil, map[string]*row{}
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// finish paints the final state of every row.
func (p *progress) finish() {
	if p == nil || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(true)
}

func (p *progress) draw(force bool) {
	if !force && time.Since(p.last) < redrawEvery {
		return
	}
	p.last = time.Now()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, r := range p.rows {
		b.WriteString("\x1b[2K")
		b.WriteString(r.line())
		b.WriteByte('\n')
	}
	p.drawn = len(p.rows)
	io.WriteString(p.w, b.String())
}

func (r *row) line() string {
	if r.total <= 0 || r.status != statusDownloading && r.status != statusPushing {
		return fmt.Sprintf("%s: %s", r.id, r.status)
	}
	const width = 40
	filled := int(float64(width) * float64(r.current) / float64(r.total))
	filled = min(filled, width)
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	return fmt.Sprintf("%s: %-11s [%s] %s/%s", r.id, r.status, bar, humanSize(r.current), humanSize(r.total))
}

// humanSize prints a byte count the way Docker's progress does.
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// countingReader reports the bytes read through it to a progress row.
type countingReader struct {
	io.ReadCloser
	p  *progress
	id string
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	if n > 0 {
		c.p.advance(c.id, int64(n))
	}
	return n, err
}
