package writeback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// groupEditor applies a group's decisions to a checkout, one application
// at a time: every edit of an application is rendered and verified in
// memory, and an application whose edits fail is left out (recorded in
// failed) while the others go ahead. apply may run several times (once per
// push attempt); each run starts from the checkout's current content.
type groupEditor struct {
	layout    Layout
	decisions []updater.Decision
	// write makes apply write the changed files; a dry run leaves the
	// checkout as it is.
	write bool

	applied   []updater.Decision
	conflicts []updater.Decision
	failed    []appFailure
	files     *workFiles
}

// appFailure is an application left out of the commit, and why.
type appFailure struct {
	decisions []updater.Decision
	err       error
}

// apply renders every application's edits of the checkout at root, writes
// the files (unless a dry run) and reports whether anything changed. Only
// a cancelled context or a failed write is an error; an application's
// failure is recorded in e.failed.
func (e *groupEditor) apply(ctx context.Context, root string) (bool, error) {
	e.applied, e.conflicts, e.failed = nil, nil, nil
	files, err := newWorkFiles(root)
	if err != nil {
		return false, err
	}
	e.files = files
	for _, app := range groupByApp(e.decisions) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		e.applyApp(ctx, app)
	}
	changed := e.files.changed()
	if e.write {
		for _, f := range changed {
			if err := writeFileAtomic(f.abs, f.data); err != nil {
				return false, err
			}
		}
	}
	return len(changed) > 0, nil
}

// applyApp renders one application's edits and keeps them only when all of
// them succeed.
func (e *groupEditor) applyApp(ctx context.Context, app []updater.Decision) {
	tx := newAppEdit()
	var applied, conflicts []updater.Decision
	for _, d := range app {
		err := e.stage(ctx, tx, d)
		if errors.Is(err, ErrConflict) {
			conflicts = append(conflicts, d)
			continue
		}
		if err != nil {
			e.fail(tx, app, fmt.Errorf("application %s image %s: %w", d.Target.App, d.Target.Image.Key(), err))
			return
		}
		applied = append(applied, d)
	}
	if err := tx.commit(ctx); err != nil {
		e.fail(tx, app, fmt.Errorf("application %s: %w", app[0].Target.App, err))
		return
	}
	e.applied = append(e.applied, applied...)
	e.conflicts = append(e.conflicts, conflicts...)
}

func (e *groupEditor) fail(tx *appEdit, app []updater.Decision, err error) {
	tx.discard()
	e.failed = append(e.failed, appFailure{decisions: app, err: err})
}

// stage checks one decision against the repository's current value and
// adds its edit to tx.
func (e *groupEditor) stage(ctx context.Context, tx *appEdit, d updater.Decision) error {
	t := d.Target
	cur, found, err := e.current(ctx, t)
	if err != nil {
		return err
	}
	old, next := oldValue(d), newValue(d)
	if found && cur.TagValue() != old.TagValue() && cur.TagValue() != next.TagValue() && d.Current.Tag != "" {
		return fmt.Errorf("%w: planned from %s but the repository now has %s; left as it is", ErrConflict, old.TagValue(), cur.TagValue())
	}
	f, err := e.layout.FileFor(t)
	if err != nil {
		return err
	}
	wf, err := e.files.get(ctx, f)
	if err != nil {
		return err
	}
	if f.Kind != FileOverride && !wf.exists {
		return fmt.Errorf("%w: %s does not exist", ErrTarget, wf.rel)
	}
	return tx.add(ctx, wf, f.Kind, t, next)
}

// current is Layout.Current read through the run's files, so it sees the
// edits of the applications already accepted and parses each file once.
func (e *groupEditor) current(ctx context.Context, t target.Target) (Value, bool, error) {
	wb, err := e.layout.FileFor(t)
	if err != nil {
		return Value{}, false, err
	}
	candidates := []File{wb}
	if wb.Kind == FileOverride {
		candidates = append(candidates, baseFiles(t)...)
	}
	for _, f := range candidates {
		wf, err := e.files.get(ctx, f)
		if err != nil {
			return Value{}, false, err
		}
		if !wf.exists {
			continue
		}
		v, ok, err := wf.value(ctx, f.Kind, t)
		if err != nil {
			return Value{}, false, fmt.Errorf("%s: %w", f.Path, err)
		}
		if ok {
			return v, true, nil
		}
	}
	return Value{}, false, nil
}

// fill copies the last run's outcome into res.
func (e *groupEditor) fill(res *GroupResult) {
	res.Applied, res.Conflicts = e.applied, e.conflicts
	res.Changes = changesOf(e.applied, e.layout)
	res.Diff = e.diff()
}

// failures returns a failed result per application left out.
func (e *groupEditor) failures(base GroupResult) []GroupResult {
	var out []GroupResult
	for _, f := range e.failed {
		r := GroupResult{RepoURL: base.RepoURL, Branch: base.Branch, Base: base.Base, Applied: f.decisions, Err: f.err}
		r.Changes = changesOf(f.decisions, e.layout)
		out = append(out, r)
	}
	return out
}

// diff renders the last run's edits as a unified diff.
func (e *groupEditor) diff() string {
	if e.files == nil {
		return ""
	}
	var b bytes.Buffer
	for _, f := range e.files.changed() {
		b.WriteString(UnifiedDiff(f.rel, f.before, f.data))
	}
	return b.String()
}

// Write sets t's image to v in its write-back file under root (atomically),
// as a cycle would; people's pins use it.
func (l Layout) Write(root string, t target.Target, v Value) (bool, error) {
	d := updater.Decision{Item: updater.Item{Target: t}, Action: updater.ActionUpdate, NewTag: v.Tag, NewDigest: v.Digest}
	if v.Digest != "" {
		d.Target.Policy.Strategy = policy.StrategyDigest
	}
	ed := &groupEditor{layout: l, decisions: []updater.Decision{d}, write: true}
	// Pins are written outside a cycle and have no context of their own.
	changed, err := ed.apply(context.Background(), root)
	if err != nil {
		return false, err
	}
	if len(ed.failed) > 0 {
		return false, ed.failed[0].err
	}
	return changed, nil
}

// sortedFiles orders files by path.
func sortedFiles(files []*workFile) []*workFile {
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files
}

// realRoot resolves the checkout root's own symbolic links.
func realRoot(root string) (string, error) {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("%w: repository root: %w", ErrTarget, err)
	}
	return r, nil
}
