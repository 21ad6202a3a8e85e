package updater

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
)

type fakeRegistry struct {
	tags    map[string][]string
	digests map[string]string
	err     error
	calls   atomic.Int32
}

func (f *fakeRegistry) Tags(_ context.Context, img imagespec.Spec, _ string) ([]string, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	return f.tags[img.FullName()], nil
}

func (f *fakeRegistry) Metadata(context.Context, imagespec.Spec, string) (policy.Metadata, error) {
	return fakeMeta{f.digests}, nil
}

type fakeMeta struct{ digests map[string]string }

func (m fakeMeta) Digest(_ context.Context, tag string) (string, error) { return m.digests[tag], nil }
func (m fakeMeta) Created(_ context.Context, tag string, _ []policy.Platform) (policy.ImageInfo, error) {
	return policy.ImageInfo{Digest: m.digests[tag], Created: time.Unix(int64(len(tag)), 0), Labels: map[string]string{"tag": tag}}, nil
}

func item(t *testing.T, spec string, settings policy.Settings, cur Current) Item {
	t.Helper()
	s, err := imagespec.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	if settings.Constraint == "" {
		settings.Constraint = s.Constraint
	}
	return Item{Target: target.Target{App: target.AppRef{Name: "app"}, Image: s, Policy: settings}, Current: cur}
}

func TestPlan(t *testing.T) {
	reg := &fakeRegistry{
		tags:    map[string][]string{"docker.io/library/app": {"v1", "v2", "v3", "v4-rc1", "latest"}},
		digests: map[string]string{"latest": "sha256:new"},
	}
	tests := []struct {
		name       string
		it         Item
		wantAction Action
		wantTag    string
		wantReason string
	}{
		{"semver update", item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true}), ActionUpdate, "v3", "v1 -> v3"},
		{"already newest", item(t, "app", policy.Settings{}, Current{Tag: "v3", Live: true}), ActionSkip, "v3", "already the newest"},
		{"no downgrade", item(t, "app", policy.Settings{}, Current{Tag: "v9", Live: true}), ActionSkip, "v3", "no downgrade"},
		{"constraint", item(t, "app:~1", policy.Settings{}, Current{Tag: "v1", Live: true}), ActionSkip, "v1", "already the newest"},
		{"not live", item(t, "app", policy.Settings{}, Current{Tag: "v1"}), ActionSkip, "", "not live"},
		{"force", Item{Target: forced(item(t, "app", policy.Settings{}, Current{Tag: "v1"}).Target), Current: Current{Tag: "v1"}}, ActionUpdate, "v3", "v1 -> v3"},
		{"bad settings", item(t, "app", policy.Settings{AllowTags: "regexp:(["}, Current{Tag: "v1", Live: true}), ActionError, "", "allow-tags"},
		{"nothing eligible", item(t, "app", policy.Settings{AllowTags: "regexp:^x"}, Current{Tag: "v1", Live: true}), ActionSkip, "", "no tag"},
		{"digest moved", item(t, "app:latest", policy.Settings{Strategy: "digest"}, Current{Tag: "latest", Digest: "sha256:old", Live: true}), ActionUpdate, "latest", "sha256:new"},
		{"digest same", item(t, "app:latest", policy.Settings{Strategy: "digest"}, Current{Tag: "latest", Digest: "sha256:new", Live: true}), ActionSkip, "latest", "already at digest"},
		{"rollback hold", item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true, Hold: &Hold{Reason: "rolled back", Until: "v3"}}), ActionSkip, "v3", "held at v1"},
		{"hold released by newer", item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true, Hold: &Hold{Reason: "rolled back", Until: "v2"}}), ActionUpdate, "v3", "v1 -> v3"},
		{"pinned", item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true, Hold: &Hold{Reason: "pinned by alice", Pinned: true}}), ActionSkip, "v3", "pinned by alice"},
		{"non-semver current", item(t, "app", policy.Settings{}, Current{Tag: "latest", Live: true}), ActionUpdate, "v3", "not comparable"},
	}
	p := &Planner{Registry: reg}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Plan(context.Background(), []Item{tt.it})[0]
			if d.Action != tt.wantAction || d.NewTag != tt.wantTag || !strings.Contains(d.Reason, tt.wantReason) {
				t.Fatalf("got %s %q (%s), want %s %q (%s)", d.Action, d.NewTag, d.Reason, tt.wantAction, tt.wantTag, tt.wantReason)
			}
			// Updates tell the new image's labels on demand; nothing else does.
			if (d.NewLabels != nil) != (d.Action == ActionUpdate) {
				t.Fatalf("NewLabels set = %v for a %s", d.NewLabels != nil, d.Action)
			}
			if d.NewLabels != nil {
				labels, err := d.NewLabels.Labels(context.Background())
				if err != nil || labels["tag"] != d.NewTag {
					t.Fatalf("labels %v, %v; want those of %s", labels, err, d.NewTag)
				}
			}
		})
	}
}

func forced(t target.Target) target.Target { t.ForceUpdate = true; return t }

func TestPlanRegistryErrorNeverUpdates(t *testing.T) {
	reg := &fakeRegistry{err: errors.New("429 too many requests")}
	d := (&Planner{Registry: reg}).Plan(context.Background(), []Item{item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true})})[0]
	if d.Action != ActionError || d.Err == nil {
		t.Fatalf("got %s (%v), want error", d.Action, d.Err)
	}
}

func TestNewValueDigest(t *testing.T) {
	d := Decision{NewTag: "latest", NewDigest: "sha256:abc"}
	d.Target.Policy.Strategy = policy.StrategyDigest
	if got := d.NewValue(); got != "latest@sha256:abc" {
		t.Fatalf("NewValue = %q", got)
	}
}
