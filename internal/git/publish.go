package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotFastForward marks a Publisher's branch update refused because the
// branch moved since the change was derived: CommitAndPush fetches again,
// re-applies and retries, as it does for a rejected push.
var ErrNotFastForward = errors.New("branch moved: not a fast-forward")

// Publisher creates the commit of a change somewhere other than the local
// working copy (a forge's API, which signs it) and moves the branch. It
// replaces the local commit and git push of CommitAndPush.
type Publisher interface {
	// Publish creates a commit of p.Files on p.Parent with p.Message and
	// makes p.Branch point at it: a fast-forward of p.Lease, or, when
	// p.Lease is "", a new branch (p.Force: replace the branch whatever
	// it holds now). It returns the new commit. An error wrapping
	// ErrNotFastForward means the branch moved; CommitAndPush retries.
	Publish(ctx context.Context, p Publication) (commit string, err error)
}

// Publication is one change for a Publisher.
type Publication struct {
	// Branch receives the commit.
	Branch string
	// Parent is the commit the change was derived on.
	Parent string
	// Lease is the branch's remote head when the change was derived (""
	// when the branch did not exist).
	Lease string
	// Force permits replacing the branch (write branches imagepilot owns,
	// rebuilt from their base).
	Force bool
	// Message is the commit message.
	Message string
	// Files are the changed files, sorted by path.
	Files []FileChange
}

// FileChange is one changed file of a Publication.
type FileChange struct {
	// Path is relative to the repository root, with forward slashes.
	Path string
	// Mode is the git file mode: 100644, 100755 or 120000 (symbolic link).
	Mode string
	// Content is the file's content (a link's target for 120000).
	Content []byte
	// Deleted marks a removed file (Mode and Content are then empty).
	Deleted bool
}

// changedFiles stages everything and lists what differs from HEAD.
func (r *Repo) changedFiles(ctx context.Context) ([]FileChange, error) {
	if _, err := r.git(ctx, "add", "--all"); err != nil {
		return nil, fmt.Errorf("stage changes: %w", err)
	}
	out, err := r.git(ctx, "diff", "--cached", "--name-status", "--no-renames", "-z", "HEAD")
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	paths, err := ParseNameStatus(out)
	if err != nil {
		return nil, err
	}
	var files []FileChange
	for _, p := range paths {
		if p.Deleted {
			files = append(files, FileChange{Path: p.Path, Deleted: true})
			continue
		}
		fc, err := r.stagedFile(ctx, p.Path)
		if err != nil {
			return nil, err
		}
		files = append(files, fc)
	}
	return files, nil
}

// stagedFile reads the mode and content of a staged file.
func (r *Repo) stagedFile(ctx context.Context, path string) (FileChange, error) {
	out, err := r.git(ctx, "ls-files", "--stage", "-z", "--", path)
	if err != nil {
		return FileChange{}, fmt.Errorf("mode of %s: %w", path, err)
	}
	mode, _, ok := strings.Cut(string(out), " ")
	if !ok {
		return FileChange{}, fmt.Errorf("mode of %s: not staged", path)
	}
	if mode == "160000" {
		return FileChange{}, fmt.Errorf("%s is a submodule: %w", path, ErrInvalidArgument)
	}
	full := filepath.Join(r.dir, filepath.FromSlash(path))
	var content []byte
	if mode == "120000" {
		target, err := os.Readlink(full)
		if err != nil {
			return FileChange{}, fmt.Errorf("read link %s: %w", path, err)
		}
		content = []byte(filepath.ToSlash(target))
	} else if content, err = os.ReadFile(full); err != nil {
		return FileChange{}, fmt.Errorf("read %s: %w", path, err)
	}
	return FileChange{Path: path, Mode: mode, Content: content}, nil
}

// NamedStatus is one entry of `git diff --name-status -z` output.
type NamedStatus struct {
	// Path is the file's path.
	Path string
	// Deleted reports status D.
	Deleted bool
}

// ParseNameStatus reads `git diff --name-status --no-renames -z` output:
// NUL-separated status and path pairs.
func ParseNameStatus(out []byte) ([]NamedStatus, error) {
	fields := bytes.Split(bytes.TrimSuffix(out, []byte{0}), []byte{0})
	if len(out) == 0 {
		return nil, nil
	}
	if len(fields)%2 != 0 {
		return nil, fmt.Errorf("%w: diff name-status output has an odd number of fields", ErrInvalidArgument)
	}
	var list []NamedStatus
	for i := 0; i < len(fields); i += 2 {
		st, path := string(fields[i]), string(fields[i+1])
		if st == "" || path == "" {
			return nil, fmt.Errorf("%w: diff name-status entry %q %q", ErrInvalidArgument, st, path)
		}
		switch st[0] {
		case 'A', 'M', 'T':
			list = append(list, NamedStatus{Path: path})
		case 'D':
			list = append(list, NamedStatus{Path: path, Deleted: true})
		default:
			return nil, fmt.Errorf("%w: diff name-status %q for %s", ErrInvalidArgument, st, path)
		}
	}
	return list, nil
}

// publish hands the staged change to req.Publisher instead of committing
// and pushing locally. rejected reports a branch that moved (retryable).
func (r *Repo) publish(ctx context.Context, req *CommitRequest, lease string, res *PushResult) (changed, rejected bool, err error) {
	parent, err := r.Head(ctx)
	if err != nil {
		return false, false, err
	}
	res.Commit = parent
	files, err := r.changedFiles(ctx)
	if err != nil || len(files) == 0 {
		return false, false, err
	}
	msg, err := req.message()
	if err != nil {
		return false, false, err
	}
	if req.SignOff {
		author := req.Author
		if author.Name == "" || author.Email == "" {
			author = r.m.opts.author
		}
		msg = strings.TrimRight(msg, "\n") + "\n\nSigned-off-by: " + author.Name + " <" + author.Email + ">\n"
	}
	r.m.stats.pushes.Add(1)
	sha, err := req.Publisher.Publish(ctx, Publication{Branch: req.Branch, Parent: parent, Lease: lease,
		Force: req.AllowForce, Message: msg, Files: files})
	if errors.Is(err, ErrNotFastForward) {
		r.run.logger.InfoContext(ctx, "branch moved during the API commit; retrying on the new head",
			"repository", Redact(r.url), "branch", req.Branch)
		return true, true, nil
	}
	if err != nil {
		return true, false, fmt.Errorf("publish %s: %w", req.Branch, err)
	}
	r.m.stats.commits.Add(1)
	res.Commit = sha
	return true, false, nil
}
