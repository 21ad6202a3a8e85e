package repomode

import (
	"context"
	"fmt"
	"strings"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// ReleaseMarker in the subject of a commit that changes a managed value
// tells imagepilot not to treat the change as a rollback to hold.
const ReleaseMarker = "[imagepilot release]"

// UpstreamAuthorEmail is the e-mail Argo CD Image Updater commits with by
// default; its commits count as imagepilot's, so a migration keeps rollback
// detection working on existing history.
const UpstreamAuthorEmail = "noreply@argoproj.io"

// historyDepth bounds how far back rollback detection looks.
const historyDepth = 50

// History is the part of a working copy rollback detection reads.
type History interface {
	Dir() string
	// LogPaths returns up to n commits that touched each path, newest
	// first (one git command for many paths).
	LogPaths(ctx context.Context, paths []string, n int) (map[string][]git.Commit, error)
	ShowFile(ctx context.Context, rev, path string) ([]byte, error)
}

// detectRollback returns a hold when someone other than imagepilot (author
// e-mail ourEmail) changed the value imagepilot last wrote to f: the value
// then stays until a tag ranking above the one imagepilot had written
// appears. A commit whose subject carries ReleaseMarker ends the hold.
// commits are the newest commits that touched f, newest first.
func detectRollback(ctx context.Context, hist History, it updater.Item, f writeback.File, commits []git.Commit, ourEmail string) (*updater.Hold, error) {
	ours := -1
	for i, c := range commits {
		if strings.EqualFold(c.AuthorEmail, ourEmail) || strings.EqualFold(c.AuthorEmail, UpstreamAuthorEmail) {
			ours = i
			break
		}
	}
	if ours <= 0 {
		return nil, nil // never written by us, or our commit is the newest
	}
	for _, c := range commits[:ours] {
		if strings.Contains(c.Subject, ReleaseMarker) {
			return nil, nil
		}
	}
	data, err := hist.ShowFile(ctx, commits[ours].SHA, f.Path)
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", f.Path, commits[ours].SHA, err)
	}
	written, ok, err := writeback.ReadValue(f, it.Target, data)
	if err != nil || !ok {
		return nil, err
	}
	cur := writeback.Value{Tag: it.Current.Tag, Digest: it.Current.Digest}
	if written.TagValue() == cur.TagValue() {
		return nil, nil
	}
	by, err := setter(ctx, hist, it, f, commits[:ours+1], cur)
	if err != nil {
		return nil, err
	}
	return &updater.Hold{
		Until: written.Tag,
		Reason: fmt.Sprintf("rolled back from %s by %s in %s; held until a tag newer than %s appears (a commit with %q in its subject releases it)",
			written.TagValue(), by.AuthorName, shortSHA(by.SHA), written.Tag, ReleaseMarker),
	}, nil
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// setter returns the commit that set the current value: of commits (newest
// first, the last one being imagepilot's, which wrote another value), the
// oldest of the newest run that all hold cur. Later commits that touched
// the file without changing the value do not count.
func setter(ctx context.Context, hist History, it updater.Item, f writeback.File, commits []git.Commit, cur writeback.Value) (git.Commit, error) {
	for i := 0; i < len(commits)-2; i++ {
		data, err := hist.ShowFile(ctx, commits[i+1].SHA, f.Path)
		if err != nil {
			return git.Commit{}, fmt.Errorf("reading %s at %s: %w", f.Path, commits[i+1].SHA, err)
		}
		v, ok, err := writeback.ReadValue(f, it.Target, data)
		if err != nil || !ok || v.TagValue() != cur.TagValue() {
			return commits[i], nil // commits[i] changed the value to cur
		}
	}
	return commits[len(commits)-2], nil
}
