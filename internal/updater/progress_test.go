package updater

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// recorder is a Progress that keeps what it was told.
type recorder struct {
	mu      sync.Mutex
	calls   []string
	begun   int
	decided map[string]int // by image name
	actions map[Action]int
	ended   int
}

func (r *recorder) Begin(total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begun = total
	r.calls = append(r.calls, "begin")
	r.decided, r.actions = map[string]int{}, map[Action]int{}
}

func (r *recorder) Decided(d Decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "decided")
	r.decided[d.Target.Image.FullName()]++
	r.actions[d.Action]++
}

func (r *recorder) End() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended++
	r.calls = append(r.calls, "end")
}

// TestPlanProgress: every item is reported once as it is decided, between
// one Begin with the count and one End, whatever the outcome; an update a
// Recheck holds is planned again without being reported twice.
func TestPlanProgress(t *testing.T) {
	reg := &fakeRegistry{tags: map[string][]string{
		"docker.io/library/a": {"v1", "v2"},
		"docker.io/library/b": {"v1", "v2"},
		"docker.io/library/c": {"v1"},
	}}
	items := func() []Item {
		return []Item{
			item(t, "a", policy.Settings{}, Current{Tag: "v1", Live: true}),
			item(t, "b", policy.Settings{}, Current{Tag: "v1", Live: true}),
			item(t, "c", policy.Settings{}, Current{Tag: "v1", Live: true}),
			item(t, "d", policy.Settings{AllowTags: "regexp:(["}, Current{Tag: "v1", Live: true}),
		}
	}
	holdB := func(_ context.Context, ds []Decision) []*Hold {
		out := make([]*Hold, len(ds))
		for i, d := range ds {
			if d.Target.Image.Name == "b" {
				out[i] = &Hold{Reason: "rolled back", Until: "v9"}
			}
		}
		return out
	}
	tests := []struct {
		name        string
		recheck     Recheck
		concurrency int
		want        map[Action]int
	}{
		{"sequential", nil, 1, map[Action]int{ActionUpdate: 2, ActionSkip: 1, ActionError: 1}},
		{"concurrent", nil, 4, map[Action]int{ActionUpdate: 2, ActionSkip: 1, ActionError: 1}},
		// b is reported as first decided (an update), once.
		{"recheck holds b", holdB, 2, map[Action]int{ActionUpdate: 2, ActionSkip: 1, ActionError: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			p := &Planner{Registry: reg, Concurrency: tt.concurrency, Recheck: tt.recheck, Progress: rec}
			ds := p.Plan(context.Background(), items())
			if rec.begun != 4 || rec.ended != 1 {
				t.Fatalf("Begin(%d), End x%d; want Begin(4), End once", rec.begun, rec.ended)
			}
			if rec.calls[0] != "begin" || rec.calls[len(rec.calls)-1] != "end" || len(rec.calls) != 6 {
				t.Fatalf("calls %v, want begin, 4 x decided, end", rec.calls)
			}
			for _, img := range []string{"a", "b", "c", "d"} {
				if n := rec.decided["docker.io/library/"+img]; n != 1 {
					t.Errorf("%s reported %d times, want once", img, n)
				}
			}
			for a, n := range tt.want {
				if rec.actions[a] != n {
					t.Errorf("%s reported %d times, want %d (%v)", a, rec.actions[a], n, rec.actions)
				}
			}
			if tt.recheck != nil && ds[1].Action != ActionSkip {
				t.Errorf("b: %s, want held", ds[1].Action)
			}
		})
	}
}

// TestPlanProgressTimeout: items failed by the time limit, those waiting
// for a slot included, are reported too, so the count reaches the total.
func TestPlanProgressTimeout(t *testing.T) {
	reg := &stallingRegistry{fakeRegistry: fakeRegistry{tags: map[string][]string{"docker.io/library/b": {"v1", "v2"}}}, stall: "docker.io/library/a"}
	rec := &recorder{}
	p := &Planner{Registry: reg, Concurrency: 1, Timeout: 50 * time.Millisecond, Progress: rec}
	var items []Item
	for _, img := range []string{"a", "b", "c"} {
		items = append(items, item(t, img, policy.Settings{}, Current{Tag: "v1", Live: true}))
	}
	p.Plan(context.Background(), items)
	if rec.begun != 3 || rec.ended != 1 || rec.actions[ActionError] < 1 || len(rec.calls) != 5 {
		t.Fatalf("calls %v, actions %v; want Begin(3), 3 decisions (a timed out), End", rec.calls, rec.actions)
	}
}
