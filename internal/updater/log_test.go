package updater

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// logLine is one JSON log record of the planner.
type logLine struct {
	Level  string `json:"level"`
	Msg    string `json:"msg"`
	Image  string `json:"image"`
	Action string `json:"action"`
	Reason string `json:"reason"`
}

func captureLog(t *testing.T) (*slog.Logger, func() []logLine) {
	t.Helper()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return logger, func() []logLine {
		var out []logLine
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if l == "" {
				continue
			}
			var ll logLine
			if err := json.Unmarshal([]byte(l), &ll); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
			out = append(out, ll)
		}
		return out
	}
}

// TestPlanLogsFinalDecisionOnce: every image is logged once, after holds
// and the recheck (repo mode's rollback detection) are applied, with its
// final outcome and reason; an image that a recheck holds is never logged
// as a planned update.
func TestPlanLogsFinalDecisionOnce(t *testing.T) {
	reg := &fakeRegistry{tags: map[string][]string{
		"docker.io/library/app": {"v1", "v2", "v3"},
		"docker.io/library/db":  {"v1", "v2"},
		"docker.io/library/web": {"v1", "v2"},
		"docker.io/library/pin": {"v1", "v2"},
		"docker.io/library/new": {"v1", "v2"},
	}}
	rolledBack := &Hold{Reason: "rolled back from v3 by ana", Until: "v3"}
	tests := []struct {
		name       string
		it         Item
		recheck    *Hold // returned by the recheck for this image
		wantLevel  string
		wantMsg    string
		wantAction Action
		wantReason string
	}{
		{"update", item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true}), nil, "INFO", "image update planned", ActionUpdate, "v1 -> v3"},
		{"rolled back", item(t, "db", policy.Settings{}, Current{Tag: "v1", Live: true}), rolledBack, "INFO", "image held", ActionSkip, "held at v1: rolled back"},
		{"already newest", item(t, "web", policy.Settings{}, Current{Tag: "v2", Live: true}), nil, "DEBUG", "image skipped", ActionSkip, "already the newest"},
		{"pinned", item(t, "pin", policy.Settings{}, Current{Tag: "v1", Live: true, Hold: &Hold{Pinned: true, Reason: "pinned by ana"}}), nil, "INFO", "image held", ActionSkip, "pinned by ana"},
		{"bad settings", item(t, "new", policy.Settings{AllowTags: "regexp:(["}, Current{Tag: "v1", Live: true}), nil, "ERROR", "image check failed", ActionError, "allow-tags"},
	}
	for _, withRecheck := range []bool{false, true} {
		logger, lines := captureLog(t)
		p := &Planner{Registry: reg, Logger: logger}
		var rechecked []string
		calls := 0
		if withRecheck {
			p.Recheck = func(_ context.Context, ds []Decision) []*Hold {
				calls++
				holds := make([]*Hold, len(ds))
				for i, d := range ds {
					rechecked = append(rechecked, d.Target.Image.Key())
					for _, tt := range tests {
						if tt.it.Target.Image.Key() == d.Target.Image.Key() {
							holds[i] = tt.recheck
						}
					}
				}
				return holds
			}
		}
		items := make([]Item, len(tests))
		for i, tt := range tests {
			items[i] = tt.it
		}
		decisions := p.Plan(context.Background(), items)
		got := lines()
		if len(got) != len(tests) {
			t.Fatalf("recheck=%v: %d log lines, want one per image (%d): %+v", withRecheck, len(got), len(tests), got)
		}
		if withRecheck && (strings.Join(rechecked, ",") != "docker.io/library/app,docker.io/library/db" || calls != 1) {
			t.Errorf("rechecked %v in %d calls, want the planned updates app,db in one call", rechecked, calls)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantLevel, wantMsg, wantAction, wantReason := tt.wantLevel, tt.wantMsg, tt.wantAction, tt.wantReason
				if tt.recheck != nil && !withRecheck {
					wantLevel, wantMsg, wantAction, wantReason = "INFO", "image update planned", ActionUpdate, "v1 -> v2"
				}
				var mine []logLine
				for _, l := range got {
					if l.Image == tt.it.Target.Image.Key() {
						mine = append(mine, l)
					}
				}
				if len(mine) != 1 {
					t.Fatalf("recheck=%v: %d lines for %s, want 1: %+v", withRecheck, len(mine), tt.it.Target.Image.Key(), mine)
				}
				l := mine[0]
				if l.Level != wantLevel || l.Msg != wantMsg || l.Action != string(wantAction) || !strings.Contains(l.Reason, wantReason) {
					t.Errorf("recheck=%v: logged %+v, want %s %q action %s reason ~%q", withRecheck, l, wantLevel, wantMsg, wantAction, wantReason)
				}
				for _, d := range decisions {
					if d.Target.Image.Key() == tt.it.Target.Image.Key() && (d.Action != wantAction || d.Reason != l.Reason) {
						t.Errorf("decision %s %q differs from its log line %+v", d.Action, d.Reason, l)
					}
				}
			})
		}
	}
}
