package cycle

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// TestCycleStartLine: one cycle-start line, before any image is logged,
// with what the Source read, the selection and the counts, in both modes'
// shapes.
func TestCycleStartLine(t *testing.T) {
	pin := holds.Set{Holds: []holds.Hold{{Application: "a", Image: "web", By: "ana"}}}
	tests := []struct {
		name    string
		col     Collected
		summary []any
		err     error
		want    string // the line's attributes after msg
	}{
		{
			name: "repo mode",
			col: Collected{Applications: 2, Items: []updater.Item{liveItem(t, "a", "web", "1.0"), liveItem(t, "b", "web", "1.0"), liveItem(t, "b", "db", "1.0")},
				Pins: pin, Skipped: 1, Problems: []error{errors.New("bad")}, StartAttrs: []any{"repository", "https://git.example.com/r.git", "branch", "main"}},
			want: `msg="cycle started" repository=https://git.example.com/r.git branch=main applications=2 images=3 held=1 problems=1 skippedApplications=1`,
		},
		{
			name:    "controller selection",
			col:     Collected{Applications: 1, Items: []updater.Item{liveItem(t, "b", "web", "1.0")}},
			summary: []any{"imageUpdater", "argocd/web"},
			want:    `msg="cycle started" imageUpdater=argocd/web applications=1 images=1 held=0 problems=0 skippedApplications=0`,
		},
		{
			name: "nothing to check",
			want: `msg="cycle started" applications=0 images=0 held=0 problems=0 skippedApplications=0`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := &Cycle{
				Source:       SourceFunc(func(context.Context) (Collected, error) { return tt.col, nil }),
				Registry:     &tagsRegistry{tags: []string{"1.0", "1.1"}},
				Writer:       WriterFunc(func(context.Context, []updater.Decision) Writes { return Writes{} }),
				Logger:       slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
				SummaryAttrs: tt.summary,
			}
			if _, err := c.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if n := strings.Count(buf.String(), StartMessage); n != 1 {
				t.Fatalf("%d start lines, want 1:\n%s", n, buf.String())
			}
			if !strings.Contains(lines[0], tt.want) {
				t.Errorf("first line %q, want it to contain %q", lines[0], tt.want)
			}
		})
	}
}

// TestCycleStartLineNotOnSourceFailure: a cycle whose Source fails never
// starts, so it logs no start line.
func TestCycleStartLineNotOnSourceFailure(t *testing.T) {
	var buf bytes.Buffer
	c := &Cycle{
		Source: SourceFunc(func(context.Context) (Collected, error) { return Collected{}, errors.New("unreadable holds") }),
		Logger: slog.New(slog.NewTextHandler(&buf, nil)),
	}
	if _, err := c.Run(context.Background()); err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(buf.String(), StartMessage) {
		t.Errorf("start line logged for a cycle that did not start:\n%s", buf.String())
	}
}

// countingProgress counts what it is told.
type countingProgress struct {
	mu                  sync.Mutex
	begin, decided, end int
}

func (p *countingProgress) Begin(n int) { p.mu.Lock(); p.begin = n; p.mu.Unlock() }
func (p *countingProgress) Decided(updater.Decision) {
	p.mu.Lock()
	p.decided++
	p.mu.Unlock()
}
func (p *countingProgress) End() { p.mu.Lock(); p.end++; p.mu.Unlock() }

// TestCycleProgress: the cycle hands its Progress to the planner.
func TestCycleProgress(t *testing.T) {
	prog := &countingProgress{}
	c := &Cycle{
		Source: SourceFunc(func(context.Context) (Collected, error) {
			return Collected{Applications: 1, Items: []updater.Item{liveItem(t, "a", "web", "1.0"), liveItem(t, "a", "db", "1.1")}}, nil
		}),
		Registry: &tagsRegistry{tags: []string{"1.0", "1.1"}},
		Writer:   WriterFunc(func(context.Context, []updater.Decision) Writes { return Writes{} }),
		Progress: prog,
	}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if prog.begin != 2 || prog.decided != 2 || prog.end != 1 {
		t.Errorf("progress begin=%d decided=%d end=%d, want 2, 2, 1", prog.begin, prog.decided, prog.end)
	}
}
