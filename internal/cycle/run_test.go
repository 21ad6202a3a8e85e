package cycle

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// tagsRegistry lists the same tags for every repository.
type tagsRegistry struct{ tags []string }

func (r *tagsRegistry) Tags(context.Context, imagespec.Spec, string) ([]string, error) {
	return r.tags, nil
}

func (r *tagsRegistry) Metadata(context.Context, imagespec.Spec, string) (policy.Metadata, error) {
	return nil, errors.New("no metadata")
}

func liveItem(t *testing.T, app, image, tag string) updater.Item {
	t.Helper()
	s, err := imagespec.Parse(image)
	if err != nil {
		t.Fatal(err)
	}
	return updater.Item{Target: target.Target{App: target.AppRef{Namespace: "argocd", Name: app}, Image: s}, Current: updater.Current{Tag: tag, Live: true}}
}

func TestCycleRun(t *testing.T) {
	pin := holds.Set{Holds: []holds.Hold{{Application: "pinned", Image: "web", By: "ana"}}}
	tests := []struct {
		name        string
		col         Collected
		collectErr  error
		recheck     updater.Recheck
		writes      Writes
		wantErr     bool
		wantActions string // per item, in order
		wantWritten int    // decisions handed to the writer
		wantSummary string
	}{
		{
			name:        "plan and write",
			col:         Collected{Applications: 2, Items: []updater.Item{liveItem(t, "a", "web", "1.0"), liveItem(t, "b", "web", "1.1")}},
			writes:      Writes{Git: []writeback.GroupResult{{RepoURL: "r", Pushed: true}}},
			wantActions: "update,skip", wantWritten: 2,
			wantSummary: "applications=2 images_considered=2 images_skipped=1 images_updated=1 errors=0",
		},
		{
			name:        "pins from the source hold",
			col:         Collected{Applications: 1, Items: []updater.Item{liveItem(t, "pinned", "web", "1.0")}, Pins: pin},
			wantActions: "skip", wantWritten: 1,
			wantSummary: "images_skipped=1 images_updated=0 errors=0",
		},
		{
			name: "recheck holds",
			col:  Collected{Applications: 1, Items: []updater.Item{liveItem(t, "a", "web", "1.0")}},
			recheck: func(_ context.Context, ds []updater.Decision) []*updater.Hold {
				return []*updater.Hold{{Until: "9.0", Reason: "rolled back"}}
			},
			wantActions: "skip", wantWritten: 1,
			wantSummary: "images_skipped=1 images_updated=0",
		},
		{
			name:        "source and writer problems are counted, in order",
			col:         Collected{Applications: 1, Items: []updater.Item{liveItem(t, "a", "web", "1.0")}, Problems: []error{errors.New("bad annotation")}},
			writes:      Writes{Problems: []error{errors.New("git write-back is not configured")}},
			wantActions: "update", wantWritten: 1,
			wantSummary: "images_updated=1 errors=2",
		},
		{
			name:        "source failure stops the cycle",
			col:         Collected{Problems: []error{errors.New("holds file unreadable")}},
			collectErr:  errors.New("no image is updated until it is fixed"),
			wantErr:     true,
			wantActions: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &tagsRegistry{tags: []string{"1.0", "1.1"}}
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, nil))
			var written []updater.Decision
			var reported *Result
			c := &Cycle{
				Source:   SourceFunc(func(context.Context) (Collected, error) { return tt.col, tt.collectErr }),
				Registry: reg, Recheck: tt.recheck, Logger: logger, SummaryAttrs: []any{"selection", "test"},
				Writer: WriterFunc(func(_ context.Context, ds []updater.Decision) Writes { written = ds; return tt.writes }),
				Reporter: ReporterFunc(func(_ context.Context, r Result) {
					reported = &r
					if strings.Contains(buf.String(), "Processing results") {
						t.Error("reported after the summary was logged")
					}
				}),
				Start: time.Now().Add(-time.Second),
			}
			res, err := c.Run(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			var actions []string
			for _, d := range res.Decisions {
				actions = append(actions, string(d.Action))
			}
			if got := strings.Join(actions, ","); got != tt.wantActions {
				t.Errorf("actions %q, want %q", got, tt.wantActions)
			}
			if tt.wantErr {
				if reported != nil || written != nil || strings.Contains(buf.String(), "Processing results") {
					t.Errorf("a failed collection planned, wrote or reported: %v %v\n%s", written, reported, buf.String())
				}
				if len(res.Problems) != len(tt.col.Problems) {
					t.Errorf("problems %v, want the source's", res.Problems)
				}
				return
			}
			if len(written) != tt.wantWritten {
				t.Errorf("writer got %d decisions, want %d", len(written), tt.wantWritten)
			}
			if reported == nil || reported.Summary() != res.Summary() {
				t.Errorf("reporter got %+v, want the result", reported)
			}
			if len(res.Git) != len(tt.writes.Git) {
				t.Errorf("git results %v, want the writer's", res.Git)
			}
			if res.Duration < time.Second {
				t.Errorf("duration %v does not count from Start", res.Duration)
			}
			log := buf.String()
			if strings.Count(log, "Processing results") != 1 || !strings.Contains(log, tt.wantSummary) || !strings.Contains(log, "selection=test") {
				t.Errorf("summary not logged once with %q:\n%s", tt.wantSummary, log)
			}
		})
	}
}

func TestLockHonoursContext(t *testing.T) {
	var l Lock // the zero value is unlocked
	if err := l.LockContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.LockContext(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "running update cycle") {
		t.Fatalf("second lock: %v, want the deadline", err)
	}
	l.Unlock()
	l.Lock()
	l.Unlock()
}
