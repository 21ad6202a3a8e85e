package writeback

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// groupEditor applies a group's decisions to a checkout. apply may run
// several times (once per push attempt); each run starts from the checkout's
// current content and records what it did.
type groupEditor struct {
	layout    Layout
	decisions []updater.Decision

	applied   []updater.Decision
	conflicts []updater.Decision
	before    map[string][]byte
	after     map[string][]byte
	err       error
}

// apply edits the files under root and reports whether anything changed.
func (e *groupEditor) apply(root string) (bool, error) {
	e.applied, e.conflicts = nil, nil
	e.before, e.after = map[string][]byte{}, map[string][]byte{}
	var errs []error
	for _, d := range e.decisions {
		if err := e.applyOne(root, d); err != nil {
			if errors.Is(err, ErrConflict) {
				e.conflicts = append(e.conflicts, d)
				continue
			}
			errs = append(errs, fmt.Errorf("application %s image %s: %w", d.Target.App, d.Target.Image.Key(), err))
		}
	}
	if len(errs) > 0 {
		e.err = errors.Join(errs...)
		return false, e.err
	}
	for p, data := range e.after {
		if err := writeFileAtomic(filepath.Join(root, filepath.FromSlash(p)), data); err != nil {
			return false, err
		}
	}
	return len(e.after) > 0, nil
}

func (e *groupEditor) applyOne(root string, d updater.Decision) error {
	t := d.Target
	cur, _, found, err := e.layout.Current(root, t)
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
	p, err := locate(root, f)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrTarget, err)
	}
	rel = filepath.ToSlash(rel)
	data, ok := e.after[rel]
	if !ok {
		var exists bool
		if data, exists, err = readFile(p); err != nil {
			return err
		}
		if f.Kind != FileOverride && !exists {
			return fmt.Errorf("%w: %s does not exist", ErrTarget, rel)
		}
	}
	out, changed, err := edit(f, t, data, next)
	if err != nil {
		return fmt.Errorf("editing %s: %w", rel, err)
	}
	if changed {
		if _, seen := e.before[rel]; !seen {
			e.before[rel] = data
		}
		e.after[rel] = out
	}
	e.applied = append(e.applied, d)
	return nil
}

// fill copies the last run's outcome into res.
func (e *groupEditor) fill(res *GroupResult) {
	res.Applied, res.Conflicts = e.applied, e.conflicts
	res.Changes = changesOf(e.applied, e.layout)
	res.Diff = e.diff()
	if res.Err == nil && e.err != nil {
		res.Err = e.err
	}
}

// diff renders the last run's edits as a unified diff.
func (e *groupEditor) diff() string {
	paths := make([]string, 0, len(e.after))
	for p := range e.after {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(UnifiedDiff(p, e.before[p], e.after[p]))
	}
	return b.String()
}

// UnifiedDiff renders a git-style unified diff of one file (git diff
// --no-index on temporary copies laid out as a/<name> and b/<name>).
func UnifiedDiff(name string, before, after []byte) string {
	dir, err := os.MkdirTemp("", "imagepilot-diff-")
	if err != nil {
		return fmt.Sprintf("(diff of %s unavailable: %v)\n", name, err)
	}
	defer os.RemoveAll(dir)
	for side, data := range map[string][]byte{"a": before, "b": after} {
		p := filepath.Join(dir, side, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Sprintf("(diff of %s unavailable: %v)\n", name, err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return fmt.Sprintf("(diff of %s unavailable: %v)\n", name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "diff", "--no-index", "--no-color", "--no-prefix", "--", "a/"+name, "b/"+name)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	out, _ := cmd.Output() // exit status 1 means "differs"
	text := string(out)
	if len(before) == 0 {
		text = strings.Replace(text, "--- a/"+name+"\n", "--- /dev/null\n", 1)
	}
	return text
}

// Write sets t's image to v in its write-back file under root (atomically),
// as a cycle would; people's pins use it.
func (l Layout) Write(root string, t target.Target, v Value) (bool, error) {
	d := updater.Decision{Item: updater.Item{Target: t}, Action: updater.ActionUpdate, NewTag: v.Tag, NewDigest: v.Digest}
	if v.Digest != "" {
		d.Target.Policy.Strategy = policy.StrategyDigest
	}
	ed := &groupEditor{layout: l, decisions: []updater.Decision{d}}
	return ed.apply(root)
}
