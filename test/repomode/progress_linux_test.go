package repomode_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra/pty"
)

// drain reads master until stop closes the terminal's side (the master then
// reads the rest and fails with EIO), so the terminal never fills up.
func drain(master, pts *os.File) (read func() string, stop func()) {
	var mu sync.Mutex
	var b strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			b.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return func() string {
			mu.Lock()
			defer mu.Unlock()
			return b.String()
		}, func() {
			_ = pts.Close()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
		}
}

// TestRunProgressOnATerminal runs `run --once` against the real registry
// and git server with stderr a terminal: the progress line is drawn and
// erased, and the log lines around it stay whole; with JSON logs on the
// same terminal, no progress line is drawn.
func TestRunProgressOnATerminal(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2")
	for _, tt := range []struct {
		format   string
		progress bool
	}{
		{"json", false},
		{"text", true},
	} {
		t.Run(tt.format, func(t *testing.T) {
			master, pts := pty.Open(t)
			read, stop := drain(master, pts)
			var out strings.Builder
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			code := cli.Execute(ctx, append([]string{"run", "--once", "--dry-run", "--logformat", tt.format}, e.flags()...), &out, pts)
			stop()
			got := read()
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, got)
			}
			if strings.Contains(got, "checking images") != tt.progress {
				t.Fatalf("progress line drawn=%v, want %v:\n%q", !tt.progress, tt.progress, got)
			}
			if !tt.progress {
				return
			}
			if !strings.Contains(got, "\r\x1b[Kchecking images 0/1") {
				t.Errorf("no progress line drawn at the start of the checks:\n%q", got)
			}
			// Every log line starts at the start of a line: after a newline or
			// a clear, never after progress text.
			for _, line := range strings.Split(got, "\n") {
				if i := strings.Index(line, "time="); i > 0 && !strings.HasSuffix(line[:i], "\r\x1b[K") {
					t.Errorf("log line mixed with the progress line: %q", line)
				}
			}
			summary := strings.Index(got, "Processing results")
			lastDraw := strings.LastIndex(got, "checking images")
			if summary < lastDraw || !strings.Contains(got[lastDraw:summary], "\r\x1b[K") {
				t.Errorf("progress line not erased before the summary:\n%q", got)
			}
		})
	}
}
