package updater

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
)

// TestPlanRankingAndHolds covers how a chosen tag compares with what runs
// and with a hold, per strategy: which holds end, which stay, and what the
// reason says. (fakeMeta makes longer tag names newer builds.)
func TestPlanRankingAndHolds(t *testing.T) {
	reg := &fakeRegistry{
		tags: map[string][]string{
			"docker.io/library/app":   {"v1", "v2", "v3"},
			"docker.io/library/build": {"a", "bb", "ccc"},
			"docker.io/library/dig":   {"latest"},
		},
		digests: map[string]string{"latest": "sha256:new", "ccc": "sha256:y"},
	}
	build := policy.Settings{Strategy: "newest-build"}
	digest := policy.Settings{Strategy: "digest"}
	tests := []struct {
		name       string
		it         Item
		wantAction Action
		wantHeld   bool
		wantReason string
	}{
		{"no current tag sets the chosen one", item(t, "app", policy.Settings{}, Current{Live: true}), ActionUpdate, false, "no current tag known; setting v3"},
		{"a pin with no known tag says so", item(t, "app", policy.Settings{}, Current{Live: true, Hold: &Hold{Pinned: true, Reason: "pinned"}}), ActionSkip, true, "held at (unknown): pinned"},
		{"a hold with no until stays", item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true, Hold: &Hold{Reason: "r"}}), ActionSkip, true, "held at v1: r"},
		{"a semver hold stays at the tag rolled back from", item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true, Hold: &Hold{Reason: "r", Until: "v3"}}), ActionSkip, true, "held at v1"},
		{"a semver hold until a tag semver cannot read stays", item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true, Hold: &Hold{Reason: "r", Until: "nightly"}}), ActionSkip, true, "held at v1"},
		{"a newest-build hold ends on another tag", item(t, "build", build, Current{Tag: "a", Live: true, Hold: &Hold{Reason: "r", Until: "bb"}}), ActionUpdate, false, "a -> ccc"},
		{"a newest-build hold stays on the tag rolled back from", item(t, "build", build, Current{Tag: "a", Live: true, Hold: &Hold{Reason: "r", Until: "ccc"}}), ActionSkip, true, "held at a"},
		{"a digest hold ends on a new digest", item(t, "dig:latest", digest, Current{Tag: "latest", Digest: "sha256:mid", Live: true, Hold: &Hold{Reason: "r", Until: "sha256:old"}}), ActionUpdate, false, "latest@sha256:mid -> latest@sha256:new"},
		{"a digest hold stays on the digest rolled back from", item(t, "dig:latest", digest, Current{Tag: "latest", Digest: "sha256:old", Live: true, Hold: &Hold{Reason: "r", Until: "sha256:new"}}), ActionSkip, true, "held at latest"},
		{"newest-build: the same tag rebuilt updates", item(t, "build", build, Current{Tag: "ccc", Digest: "sha256:x", Live: true}), ActionUpdate, false, "ccc@sha256:x -> ccc"},
		{"newest-build: the same tag, digest unknown, skips", item(t, "build", build, Current{Tag: "ccc", Live: true}), ActionSkip, false, "ccc is already the newest build"},
		{"newest-build: an older build runs", item(t, "build", build, Current{Tag: "bb", Live: true}), ActionUpdate, false, "bb -> ccc"},
		{"alphabetical: a later name is no downgrade", item(t, "app", policy.Settings{Strategy: "alphabetical"}, Current{Tag: "v9", Live: true}), ActionSkip, false, "current v9 ranks at or above the newest eligible tag v3"},
	}
	p := &Planner{Registry: reg}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Plan(context.Background(), []Item{tt.it})[0]
			if d.Action != tt.wantAction || d.Held != tt.wantHeld || !strings.Contains(d.Reason, tt.wantReason) {
				t.Fatalf("got %s held=%v %q, want %s held=%v ~%q", d.Action, d.Held, d.Reason, tt.wantAction, tt.wantHeld, tt.wantReason)
			}
		})
	}
}

// flakyRegistry fails metadata, or the image config, on demand, and
// records the most registry calls in flight at once.
type flakyRegistry struct {
	fakeRegistry
	metaErr, createdErr error
	delay               time.Duration
	mu                  sync.Mutex
	inFlight, maxFlight int
}

func (f *flakyRegistry) Tags(ctx context.Context, img imagespec.Spec, pull string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // a request under an ended context fails
	}
	f.mu.Lock()
	f.inFlight++
	f.maxFlight = max(f.maxFlight, f.inFlight)
	f.mu.Unlock()
	time.Sleep(f.delay)
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	return f.fakeRegistry.Tags(ctx, img, pull)
}

func (f *flakyRegistry) Metadata(ctx context.Context, img imagespec.Spec, pull string) (policy.Metadata, error) {
	if f.metaErr != nil {
		return nil, f.metaErr
	}
	return failingMeta{fakeMeta{f.digests}, f.createdErr}, nil
}

type failingMeta struct {
	fakeMeta
	createdErr error
}

func (m failingMeta) Created(ctx context.Context, tag string, p []policy.Platform) (policy.ImageInfo, error) {
	if m.createdErr != nil {
		return policy.ImageInfo{}, m.createdErr
	}
	return m.fakeMeta.Created(ctx, tag, p)
}

func TestPlanRegistryFailures(t *testing.T) {
	boom := errors.New("503 service unavailable")
	tags := map[string][]string{"docker.io/library/app": {"v1", "v2"}}
	tests := []struct {
		name       string
		reg        *flakyRegistry
		settings   policy.Settings
		wantReason string
	}{
		{name: "metadata a strategy needs", reg: &flakyRegistry{fakeRegistry: fakeRegistry{tags: tags}, metaErr: boom}, settings: policy.Settings{Strategy: "newest-build"},
			wantReason: "registry metadata for docker.io/library/app: 503"},
		{name: "an image config while choosing", reg: &flakyRegistry{fakeRegistry: fakeRegistry{tags: tags}, createdErr: boom}, settings: policy.Settings{Strategy: "newest-build"},
			wantReason: "choosing a tag for docker.io/library/app: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := (&Planner{Registry: tt.reg}).Plan(context.Background(), []Item{item(t, "app", tt.settings, Current{Tag: "v1", Live: true})})[0]
			if d.Action != ActionError || !errors.Is(d.Err, boom) || !strings.HasPrefix(d.Reason, tt.wantReason) || d.NewLabels != nil {
				t.Fatalf("got %s %q (%v), want an error starting %q", d.Action, d.Reason, d.Err, tt.wantReason)
			}
		})
	}
}

// TestNewLabelsFailures shows labels asked after planning report registry
// failures naming the image and tag; semver never needed metadata, so the
// planning itself succeeded.
func TestNewLabelsFailures(t *testing.T) {
	boom := errors.New("401 unauthorized")
	tags := map[string][]string{"docker.io/library/app": {"v1", "v2"}}
	tests := []struct {
		name    string
		reg     *flakyRegistry
		wantErr string
	}{
		{name: "metadata", reg: &flakyRegistry{fakeRegistry: fakeRegistry{tags: tags}, metaErr: boom}, wantErr: "registry metadata for docker.io/library/app: 401"},
		{name: "image config", reg: &flakyRegistry{fakeRegistry: fakeRegistry{tags: tags}, createdErr: boom}, wantErr: "labels of docker.io/library/app:v2: 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := (&Planner{Registry: tt.reg}).Plan(context.Background(), []Item{item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true})})[0]
			if d.Action != ActionUpdate || d.NewLabels == nil {
				t.Fatalf("got %s %q", d.Action, d.Reason)
			}
			labels, err := d.NewLabels.Labels(context.Background())
			if labels != nil || !errors.Is(err, boom) || err.Error() != tt.wantErr+" unauthorized" {
				t.Fatalf("labels %v, error %v; want %q", labels, err, tt.wantErr)
			}
		})
	}
	if l, _ := (StaticLabels{"a": "b"}).Labels(context.Background()); l["a"] != "b" {
		t.Fatalf("static labels %v", l)
	}
}

// TestPlanConcurrencyAndOrder shows Concurrency bounds the registry work in
// flight (10 by default) and decisions keep the items' order.
func TestPlanConcurrencyAndOrder(t *testing.T) {
	tags := map[string][]string{}
	var items []Item
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		tags["docker.io/library/"+n] = []string{"v1", "v2"}
		items = append(items, item(t, n, policy.Settings{}, Current{Tag: "v1", Live: true}))
	}
	for _, tt := range []struct {
		concurrency, wantMax int
	}{{1, 1}, {3, 3}, {0, 10}} {
		reg := &flakyRegistry{fakeRegistry: fakeRegistry{tags: tags}, delay: 20 * time.Millisecond}
		ds := (&Planner{Registry: reg, Concurrency: tt.concurrency}).Plan(context.Background(), items)
		if reg.maxFlight != tt.wantMax {
			t.Errorf("concurrency %d: %d listings at once, want %d", tt.concurrency, reg.maxFlight, tt.wantMax)
		}
		for i, d := range ds {
			if d.Target.Image.Key() != items[i].Target.Image.Key() || d.Action != ActionUpdate {
				t.Fatalf("decision %d is %s %s, want an update of %s", i, d.Target.Image.Key(), d.Action, items[i].Target.Image.Key())
			}
		}
	}
}

// TestRecheck shows the rollback recheck is asked once, about the planned
// updates alone, under the caller's context even after the registry time
// limit passed (an update decided in time and then held is a hold, not a
// time-limit error), and that its holds are aligned with the updates.
func TestRecheck(t *testing.T) {
	rolledBack := &Hold{Reason: "rolled back from v2", Until: "v2"}
	tests := []struct {
		name     string
		holds    []*Hold
		slow     bool
		wantHeld []bool // app, web
	}{
		{name: "the second update held", holds: []*Hold{nil, rolledBack}, wantHeld: []bool{false, true}},
		{name: "a shorter answer holds nothing beyond its end", holds: []*Hold{rolledBack}, wantHeld: []bool{true, false}},
		{name: "no answer holds nothing", wantHeld: []bool{false, false}},
		{name: "a longer answer is cut to the updates", holds: []*Hold{nil, nil, rolledBack}, wantHeld: []bool{false, false}},
		{name: "a recheck slower than the registry limit still holds", holds: []*Hold{rolledBack, rolledBack}, slow: true, wantHeld: []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &flakyRegistry{fakeRegistry: fakeRegistry{tags: map[string][]string{
				"docker.io/library/app": {"v1", "v2"}, "docker.io/library/web": {"v1", "v2"}, "docker.io/library/db": {"v1"},
			}}}
			var asked [][]string
			p := &Planner{Registry: reg, Timeout: 30 * time.Millisecond, Recheck: func(ctx context.Context, updates []Decision) []*Hold {
				var keys []string
				for _, d := range updates {
					keys = append(keys, d.Target.Image.Key())
				}
				asked = append(asked, keys)
				if tt.slow {
					time.Sleep(50 * time.Millisecond) // slow local history: past the registry limit
				}
				if ctx.Err() != nil {
					t.Errorf("recheck context done: %v", context.Cause(ctx))
				}
				return tt.holds
			}}
			ds := p.Plan(context.Background(), []Item{
				item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true}),
				item(t, "db", policy.Settings{}, Current{Tag: "v1", Live: true}),
				item(t, "web", policy.Settings{}, Current{Tag: "v1", Live: true}),
			})
			if len(asked) != 1 || strings.Join(asked[0], ",") != "docker.io/library/app,docker.io/library/web" {
				t.Fatalf("recheck asked %v, want once about the two planned updates", asked)
			}
			for i, d := range []Decision{ds[0], ds[2]} {
				if tt.wantHeld[i] != (d.Action == ActionSkip && d.Held && d.Reason == "held at v1: rolled back from v2") {
					t.Errorf("%s: %s held=%v %q, want held %v", d.Target.Image.Key(), d.Action, d.Held, d.Reason, tt.wantHeld[i])
				}
				if !tt.wantHeld[i] && d.Action != ActionUpdate {
					t.Errorf("%s: %s %q, want the update", d.Target.Image.Key(), d.Action, d.Reason)
				}
			}
			if ds[1].Action != ActionSkip || ds[1].Held {
				t.Fatalf("db: %s %q", ds[1].Action, ds[1].Reason)
			}
		})
	}
}
