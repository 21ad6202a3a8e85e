package progress

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/updater"
)

// clock is a fake clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func ok() updater.Decision           { return updater.Decision{Action: updater.ActionSkip} }
func failed() updater.Decision {
	return updater.Decision{Action: updater.ActionError, Err: errors.New("x")}
}
func newTest() (*Display, *bytes.Buffer, *clock) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(1000, 0)}
	return New(&buf, c.now, 250*time.Millisecond), &buf, c
}

// step is one event of a table row: a decision after a pause, or a log
// line, or the end.
type step struct {
	after time.Duration
	dec   *updater.Decision
	log   string
	end   bool
}

func TestDisplay(t *testing.T) {
	okd, bad := ok(), failed()
	tests := []struct {
		name  string
		total int
		steps []step
		want  string // the output, each clear of the line written as "|"
	}{
		{
			name: "first draw at once, then throttled", total: 5,
			steps: []step{
				{after: 0, dec: &okd},                      // within 250ms of Begin: not drawn
				{after: 100 * time.Millisecond, dec: &okd}, // 100ms: not drawn
				{after: 200 * time.Millisecond, dec: &bad}, // 300ms: drawn
				{after: 10 * time.Millisecond, dec: &okd},  // not drawn
				{after: 300 * time.Millisecond, dec: &bad}, // drawn
				{end: true},
			},
			want: "|checking images 0/5|checking images 3/5 (1 error)|checking images 5/5 (2 errors)|",
		},
		{
			name: "a log line clears the line; the next decision draws it again", total: 3,
			steps: []step{
				{after: 0, log: "level=WARN msg=slow\n"},
				{after: time.Millisecond, dec: &okd},
				{after: time.Millisecond, dec: &okd},
				{end: true},
			},
			want: "|checking images 0/3|level=WARN msg=slow\n|checking images 1/3|",
		},
		{
			name: "nothing to check draws nothing", total: 0,
			steps: []step{{end: true}},
			want:  "",
		},
		{
			name: "after End, decisions and logs draw no line", total: 1,
			steps: []step{
				{end: true},
				{after: time.Second, dec: &okd},
				{log: "level=INFO msg=done\n"},
			},
			want: "|checking images 0/1|level=INFO msg=done\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, buf, c := newTest()
			d.Begin(tt.total)
			logs := d.Logs()
			for _, s := range tt.steps {
				c.add(s.after)
				switch {
				case s.end:
					d.End()
				case s.log != "":
					if _, err := logs.Write([]byte(s.log)); err != nil {
						t.Fatal(err)
					}
				default:
					d.Decided(*s.dec)
				}
			}
			if got := strings.ReplaceAll(buf.String(), clearLine, "|"); got != tt.want {
				t.Errorf("output\n %q\nwant\n %q", got, tt.want)
			}
			if d.shown {
				t.Error("line still shown after End")
			}
		})
	}
}

func TestDisplayLine(t *testing.T) {
	tests := []struct {
		total, ok, errs int
		want            string
	}{
		{500, 117, 3, "checking images 120/500 (3 errors)"},
		{2, 1, 1, "checking images 2/2 (1 error)"},
		{7, 0, 0, "checking images 0/7"},
	}
	for _, tt := range tests {
		d, _, _ := newTest()
		d.Begin(tt.total)
		for range tt.ok {
			d.Decided(ok())
		}
		for range tt.errs {
			d.Decided(failed())
		}
		if got := d.Line(); got != tt.want {
			t.Errorf("line %q, want %q", got, tt.want)
		}
	}
}

// TestDisplayConcurrent: decisions from many goroutines are all counted and
// the line is drawn a bounded number of times.
func TestDisplayConcurrent(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, nil, time.Hour)
	d.Begin(1000)
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Go(func() {
			if i%10 == 0 {
				d.Decided(failed())
				return
			}
			d.Decided(ok())
		})
	}
	wg.Wait()
	if got := d.Line(); got != "checking images 1000/1000 (100 errors)" {
		t.Errorf("line %q", got)
	}
	d.End()
	if n := strings.Count(buf.String(), clearLine); n != 2 { // Begin's draw, End's clear
		t.Errorf("%d writes under an hour's throttle, want 2: %q", n, buf.String())
	}
}

func TestNilDisplay(t *testing.T) {
	var d *Display
	d.Begin(3)
	d.Decided(ok())
	d.End()
	if d.Line() != "" {
		t.Error("nil display has a line")
	}
}

// TestForStderrNotATerminal: logs to a file, a pipe or a buffer, and JSON
// logs, get no progress line.
func TestForStderrNotATerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tests := []struct {
		name   string
		stderr any
		format string
	}{
		{"file", file, "text"},
		{"pipe", w, "text"},
		{"buffer", &bytes.Buffer{}, "text"},
		{"file, json", file, "json"},
		{"pipe, JSON", w, "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d *Display
			switch s := tt.stderr.(type) {
			case *os.File:
				d = ForStderr(s, tt.format)
			case *bytes.Buffer:
				d = ForStderr(s, tt.format)
			}
			if d != nil {
				t.Fatalf("a display on %s", tt.name)
			}
		})
	}
	if fi, err := file.Stat(); err != nil || fi.Size() != 0 {
		t.Errorf("file written: %v %v", fi, err)
	}
}

// TestLogsThroughDisplay: a slog text handler writing through Logs keeps
// whole log lines, each preceded by a clear when a line was shown.
func TestLogsThroughDisplay(t *testing.T) {
	d, buf, c := newTest()
	logger := slog.New(slog.NewTextHandler(d.Logs(), &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	d.Begin(2)
	logger.Info("registry slow", "registry", "ghcr.io")
	c.add(time.Second)
	d.Decided(ok())
	logger.Info("again")
	d.End()
	want := clearLine + "checking images 0/2" + clearLine + "level=INFO msg=\"registry slow\" registry=ghcr.io\n" +
		clearLine + "checking images 1/2" + clearLine + "level=INFO msg=again\n"
	if buf.String() != want {
		t.Errorf("output\n %q\nwant\n %q", buf.String(), want)
	}
}
