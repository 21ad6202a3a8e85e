package updater

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
)

// stallingRegistry answers every repository at once except stall, whose
// listing waits for the caller's context, as a registry that stops sending
// mid-body would without a request deadline.
type stallingRegistry struct {
	fakeRegistry
	stall string
}

func (s *stallingRegistry) Tags(ctx context.Context, img imagespec.Spec, pull string) ([]string, error) {
	if img.FullName() == s.stall {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.fakeRegistry.Tags(ctx, img, pull)
}

func TestPlanTimeoutFailsOnlyUnfinishedItems(t *testing.T) {
	reg := &stallingRegistry{
		fakeRegistry: fakeRegistry{tags: map[string][]string{
			"docker.io/library/fast": {"v1", "v2"},
			"docker.io/library/slow": {"v1", "v2"},
		}},
		stall: "docker.io/library/slow",
	}
	items := []Item{
		item(t, "fast", policy.Settings{}, Current{Tag: "v1", Live: true}),
		item(t, "slow", policy.Settings{}, Current{Tag: "v1", Live: true}),
		item(t, "fast", policy.Settings{}, Current{Tag: "v2", Live: true}),
	}
	tests := []struct {
		name        string
		concurrency int
	}{
		{"all at once", 10},
		// One at a time: the item after the stalled one never starts, and
		// still fails with the time limit rather than hanging.
		{"one at a time", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Planner{Registry: reg, Concurrency: tt.concurrency, Timeout: 200 * time.Millisecond}
			done := make(chan []Decision)
			go func() { done <- p.Plan(context.Background(), items) }()
			var ds []Decision
			select {
			case ds = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Plan did not return within 10 s of a 200 ms limit")
			}
			if ds[0].Action != ActionUpdate || ds[0].NewTag != "v2" {
				t.Errorf("fast image: %s %q (%s), want update to v2", ds[0].Action, ds[0].NewTag, ds[0].Reason)
			}
			if ds[1].Action != ActionError || !errors.Is(ds[1].Err, ErrPlanTimeout) || !strings.Contains(ds[1].Reason, "cycle time limit reached (200ms)") {
				t.Errorf("stalled image: %s (%v), want the time limit error", ds[1].Action, ds[1].Err)
			}
			if tt.concurrency == 1 {
				if ds[2].Action != ActionError || !errors.Is(ds[2].Err, ErrPlanTimeout) {
					t.Errorf("item after the stall: %s (%v), want the time limit error", ds[2].Action, ds[2].Err)
				}
			} else if ds[2].Action != ActionSkip {
				t.Errorf("third item: %s (%s), want skip (already newest)", ds[2].Action, ds[2].Reason)
			}
		})
	}
}

func TestPlanWithoutTimeoutKeepsCallerCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	reg := &stallingRegistry{fakeRegistry: fakeRegistry{}, stall: "docker.io/library/slow"}
	d := (&Planner{Registry: reg}).Plan(ctx, []Item{item(t, "slow", policy.Settings{}, Current{Tag: "v1", Live: true})})[0]
	if d.Action != ActionError || errors.Is(d.Err, ErrPlanTimeout) {
		t.Fatalf("got %s (%v): a cancelled cycle must fail, but not as a time limit", d.Action, d.Err)
	}
}
