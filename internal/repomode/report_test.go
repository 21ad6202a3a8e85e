package repomode

import (
	"errors"
	"testing"

	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

func TestCountsTreatFailedWriteBackAsErrors(t *testing.T) {
	upd := func(app string) updater.Decision {
		d := updater.Decision{Action: updater.ActionUpdate}
		d.Target.App = target.AppRef{Namespace: "argocd", Name: app}
		return d
	}
	a, b := upd("a"), upd("b")
	skip := updater.Decision{Action: updater.ActionSkip}
	rep := Report{
		Decisions: []updater.Decision{a, b, skip},
		Groups: []writeback.GroupResult{
			{RepoURL: "r1", Applied: []updater.Decision{a}, Err: errors.New("push rejected")},
			{RepoURL: "r2", Applied: []updater.Decision{b}, Commit: "abc"},
		},
		Problems: []error{errors.New("bad annotation")},
	}
	updated, skipped, errored := rep.Counts()
	if updated != 1 || skipped != 1 || errored != 2 {
		t.Fatalf("counts = %d updated, %d skipped, %d errors; want 1, 1, 2", updated, skipped, errored)
	}
}
