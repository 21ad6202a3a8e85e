package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Repo is an exclusive handle on one working copy. It is not safe for
// concurrent use; Close releases it for the next user.
type Repo struct {
	m       *Manager
	run     *runner
	url     string
	dir     string
	creds   Credentials
	release func()
}

// Dir returns the working-copy directory.
func (r *Repo) Dir() string { return r.dir }

// URL returns the remote address without user information.
func (r *Repo) URL() string { return r.url }

// Close releases the repository for other users. It is idempotent.
func (r *Repo) Close() error {
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return nil
}

// git runs a local command (no network, no credentials) in the working copy.
func (r *Repo) git(ctx context.Context, args ...string) ([]byte, error) {
	if r.release == nil {
		return nil, ErrClosed
	}
	return r.run.run(ctx, invocation{dir: r.dir, args: args, secrets: r.creds.secrets()})
}

// remote runs a command that talks to the remote, with credentials
// materialised for its duration only.
func (r *Repo) remote(ctx context.Context, dir string, args ...string) ([]byte, error) {
	if r.release == nil {
		return nil, ErrClosed
	}
	s, err := newSession(r.creds)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return r.run.run(ctx, invocation{dir: dir, args: args, env: s.env, secretEnv: s.secretEnv, secrets: r.creds.secrets()})
}

// cloneMarker is written into .git once a clone has completed; a directory
// without it (an interrupted clone, or a copy this version did not make) is
// cloned again.
const cloneMarker = "imagepilot-clone-complete"

// ensureClone reuses a valid working copy or clones a new one. A clone goes
// to a temporary sibling directory first and is moved into place with its
// marker, so an interrupted clone never looks like a working copy; leftovers
// of interrupted clones are removed here, under the working copy's lock. A
// working copy is only discarded when git says it is broken, never because
// ctx was cancelled or the check could not run.
func (r *Repo) ensureClone(ctx context.Context) error {
	r.removePartialClones()
	valid, err := r.validWorkingCopy(ctx)
	if err != nil {
		return err
	}
	if valid {
		r.removeStaleLocks()
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("open working copy: %w", err)
	}
	if err := os.RemoveAll(r.dir); err != nil {
		return fmt.Errorf("remove broken working copy: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(r.dir), filepath.Base(r.dir)+".clone-")
	if err != nil {
		return fmt.Errorf("create clone directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	args := []string{"clone", "--no-tags", "--quiet"}
	if r.m.opts.depth > 0 {
		args = append(args, "--depth", strconv.Itoa(r.m.opts.depth))
	}
	args = append(args, "--", r.url, "wc")
	if _, err := r.remote(ctx, tmp, args...); err != nil {
		return fmt.Errorf("clone %s: %w", RedactURL(r.url), err)
	}
	marker := filepath.Join(tmp, "wc", ".git", cloneMarker)
	if err := os.WriteFile(marker, []byte(r.url+"\n"), 0o600); err != nil {
		return fmt.Errorf("mark clone complete: %w", err)
	}
	if err := os.Rename(filepath.Join(tmp, "wc"), r.dir); err != nil {
		return fmt.Errorf("move clone into place: %w", err)
	}
	r.m.stats.clones.Add(1)
	return nil
}

// validWorkingCopy reports whether r.dir is a complete working copy. An
// error (cancellation, a git that could not run or timed out) means "do not
// know": the caller must keep the directory.
func (r *Repo) validWorkingCopy(ctx context.Context) (bool, error) {
	if _, err := os.Stat(filepath.Join(r.dir, ".git", cloneMarker)); err != nil {
		return false, nil
	}
	out, err := r.git(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return false, fmt.Errorf("check working copy: %w", ctxErr)
		}
		var ce *CommandError
		if errors.As(err, &ce) && ce.ExitCode > 0 {
			return false, nil // git ran and says this is no repository
		}
		return false, fmt.Errorf("check working copy: %w", err)
	}
	return filepath.Clean(strings.TrimSpace(string(out))) == filepath.Clean(r.dir), nil
}

// removePartialClones deletes the temporary directories of clones that were
// interrupted (kill -9 during a clone). The caller holds the lock.
func (r *Repo) removePartialClones() {
	parent, prefix := filepath.Dir(r.dir), filepath.Base(r.dir)+".clone-"
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			_ = os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// staleLockFiles are the lock files in .git a killed git command can leave
// behind; any of them would make every later command fail.
var staleLockFiles = []string{"index.lock", "HEAD.lock", "ORIG_HEAD.lock", "FETCH_HEAD.lock",
	"config.lock", "packed-refs.lock", "shallow.lock"}

// removeStaleLocks deletes lock files left by killed git commands. Only
// safe because the caller holds the working copy's lock: no git command of
// ours runs in it.
func (r *Repo) removeStaleLocks() {
	gitDir := filepath.Join(r.dir, ".git")
	for _, name := range staleLockFiles {
		_ = os.Remove(filepath.Join(gitDir, name))
	}
	_ = filepath.WalkDir(filepath.Join(gitDir, "refs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".lock") {
			_ = os.Remove(path)
		}
		return nil
	})
}

// shallow reports whether the working copy has truncated history.
func (r *Repo) shallow() bool {
	_, err := os.Stat(filepath.Join(r.dir, ".git", "shallow"))
	return err == nil
}

// fetch updates refs/remotes/origin/<branch>. A missing remote branch yields
// ErrBranchNotFound.
func (r *Repo) fetch(ctx context.Context, branch string) error {
	if err := ValidateBranch(branch); err != nil {
		return err
	}
	args := []string{"fetch", "--no-tags", "--quiet"}
	if r.shallow() && r.m.opts.depth > 0 {
		args = append(args, "--depth", strconv.Itoa(r.m.opts.depth))
	}
	args = append(args, "origin", "+refs/heads/"+branch+":refs/remotes/origin/"+branch)
	r.m.stats.fetches.Add(1)
	if _, err := r.remote(ctx, r.dir, args...); err != nil {
		if isMissingRef(err) {
			return fmt.Errorf("fetch %s: %w", branch, ErrBranchNotFound)
		}
		return fmt.Errorf("fetch %s: %w", branch, err)
	}
	return nil
}

func isMissingRef(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && strings.Contains(ce.Stderr, "couldn't find remote ref")
}

// resetTo makes the local branch equal to rev, discarding every local change
// and untracked file.
func (r *Repo) resetTo(ctx context.Context, branch, rev string) error {
	if _, err := r.git(ctx, "checkout", "--quiet", "--force", "--no-track", "-B", branch, rev, "--"); err != nil {
		return fmt.Errorf("check out %s: %w", branch, err)
	}
	if _, err := r.git(ctx, "clean", "-ffdxq"); err != nil {
		return fmt.Errorf("clean working copy: %w", err)
	}
	return nil
}

// Checkout fetches branch and hard-resets the working copy to origin/<branch>.
func (r *Repo) Checkout(ctx context.Context, branch string) error {
	if err := r.fetch(ctx, branch); err != nil {
		return err
	}
	return r.resetTo(ctx, branch, "refs/remotes/origin/"+branch)
}

// CheckoutNew checks out branch like Checkout; when the remote has no such
// branch it creates it locally from origin/<base>. created reports the
// latter; the branch reaches the remote with the next push.
func (r *Repo) CheckoutNew(ctx context.Context, base, branch string) (created bool, err error) {
	err = r.Checkout(ctx, branch)
	if !errors.Is(err, ErrBranchNotFound) {
		return false, err
	}
	if err := r.fetch(ctx, base); err != nil {
		return false, err
	}
	if err := r.resetTo(ctx, branch, "refs/remotes/origin/"+base); err != nil {
		return false, err
	}
	return true, nil
}

// DefaultBranch asks the remote which branch its HEAD points to.
func (r *Repo) DefaultBranch(ctx context.Context) (string, error) {
	out, err := r.remote(ctx, r.dir, "ls-remote", "--symref", "origin", "HEAD")
	if err != nil {
		return "", fmt.Errorf("ask remote for default branch: %w", err)
	}
	branch, ok := ParseSymref(string(out))
	if !ok {
		return "", fmt.Errorf("remote HEAD is not a symbolic ref to a branch: %w", ErrBranchNotFound)
	}
	return branch, nil
}

// ParseSymref extracts the branch from `git ls-remote --symref <remote> HEAD`
// output ("ref: refs/heads/main\tHEAD").
func ParseSymref(out string) (string, bool) {
	for _, line := range strings.Split(out, "\n") {
		target, name, ok := strings.Cut(strings.TrimSuffix(line, "\r"), "\t")
		if !ok || name != "HEAD" || !strings.HasPrefix(target, "ref: refs/heads/") {
			continue
		}
		branch := strings.TrimPrefix(target, "ref: refs/heads/")
		if ValidateBranch(branch) == nil {
			return branch, true
		}
	}
	return "", false
}

// Head returns the commit the working copy is on.
func (r *Repo) Head(ctx context.Context) (string, error) {
	out, err := r.git(ctx, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return "", fmt.Errorf("resolve HEAD: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// ShowFile returns the content of path (relative to the repository root) at
// revision rev.
func (r *Repo) ShowFile(ctx context.Context, rev, path string) ([]byte, error) {
	if err := validateRev(rev); err != nil {
		return nil, err
	}
	clean, err := cleanRepoPath(path)
	if err != nil {
		return nil, err
	}
	out, err := r.git(ctx, "show", rev+":"+clean)
	if err != nil {
		return nil, fmt.Errorf("show %s at %s: %w", clean, rev, err)
	}
	return out, nil
}
