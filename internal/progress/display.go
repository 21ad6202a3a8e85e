package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/imagepilot/imagepilot/internal/updater"
)

// DefaultEvery is the shortest time between two redraws of the line.
const DefaultEvery = 250 * time.Millisecond

// clearLine returns the cursor to the start of the line and erases it
// (ANSI "erase in line", which every terminal emulator in use supports).
const clearLine = "\r\x1b[K"

// Display is the progress line on one terminal. Its methods may be called
// from several goroutines; a nil *Display draws nothing.
type Display struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	every time.Duration

	total, done, errors int
	active              bool      // between Begin and End
	shown               bool      // a line is on the terminal now
	drawn               time.Time // when it was last drawn
}

// New returns a Display drawing on w (the terminal), redrawn at most once
// per every (DefaultEvery when 0) by the clock now (time.Now when nil).
func New(w io.Writer, now func() time.Time, every time.Duration) *Display {
	if now == nil {
		now = time.Now
	}
	if every <= 0 {
		every = DefaultEvery
	}
	return &Display{w: w, now: now, every: every}
}

// ForStderr returns a Display on stderr when it is a terminal and the logs
// are text, nil otherwise: logs to a file or a pipe, or JSON logs (read by
// programs), never get progress lines.
func ForStderr(stderr io.Writer, logFormat string) *Display {
	if strings.EqualFold(strings.TrimSpace(logFormat), "json") {
		return nil
	}
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return New(f, nil, 0)
}

// Begin starts counting total images and draws the line.
func (d *Display) Begin(total int) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.total, d.done, d.errors, d.active = total, 0, 0, total > 0
	if d.active {
		d.draw()
	}
}

// Decided counts one image (an error when it failed) and redraws the line
// unless it was drawn less than the interval ago.
func (d *Display) Decided(dec updater.Decision) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.active {
		return
	}
	d.done++
	if dec.Action == updater.ActionError {
		d.errors++
	}
	if !d.shown || d.now().Sub(d.drawn) >= d.every {
		d.draw()
	}
}

// End clears the line: the summary log line says how the cycle went.
func (d *Display) End() {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.active = false
	d.clear()
}

// Line is the text of the progress line.
func (d *Display) Line() string {
	if d == nil {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.line()
}

func (d *Display) line() string {
	s := fmt.Sprintf("checking images %d/%d", d.done, d.total)
	switch d.errors {
	case 0:
	case 1:
		s += " (1 error)"
	default:
		s += fmt.Sprintf(" (%d errors)", d.errors)
	}
	return s
}

// draw writes the line over the current one; d.mu is held.
func (d *Display) draw() {
	_, _ = io.WriteString(d.w, clearLine+d.line())
	d.shown, d.drawn = true, d.now()
}

// clear erases the line if one is shown; d.mu is held.
func (d *Display) clear() {
	if d.shown {
		_, _ = io.WriteString(d.w, clearLine)
		d.shown = false
	}
}

// Logs returns the writer the log handler writes to when logs share the
// terminal with the line: each write clears the line first, and the next
// image decided draws it again below the log line.
func (d *Display) Logs() io.Writer {
	return logWriter{d}
}

type logWriter struct{ d *Display }

// Write clears the progress line and writes p.
func (l logWriter) Write(p []byte) (int, error) {
	d := l.d
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clear()
	return d.w.Write(p)
}
