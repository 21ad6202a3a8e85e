package git

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Commit is one commit as reported by Log and ChangesSince.
type Commit struct {
	SHA            string
	AuthorName     string
	AuthorEmail    string
	CommitterName  string
	CommitterEmail string
	When           time.Time // committer date
	Subject        string
}

// logFormat separates fields with NUL and records with RS (0x1e).
const logFormat = "--format=%H%x00%an%x00%ae%x00%cn%x00%ce%x00%ct%x00%s%x1e"

// Log returns up to n commits reachable from HEAD that touched path (the
// whole tree when path is empty), newest first.
func (r *Repo) Log(ctx context.Context, path string, n int) ([]Commit, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: log limit %d", ErrInvalidArgument, n)
	}
	args := []string{"log", logFormat, "-n", strconv.Itoa(n), "HEAD", "--"}
	if path != "" {
		clean, err := cleanRepoPath(path)
		if err != nil {
			return nil, err
		}
		args = append(args, clean)
	}
	return r.log(ctx, args)
}

// ChangesSince returns the commits after sha (exclusive) up to HEAD that
// touched any of paths (everything when none are given), newest first. A
// shallow working copy is deepened when sha is not in its history.
func (r *Repo) ChangesSince(ctx context.Context, sha string, paths ...string) ([]Commit, error) {
	if !isHex(sha) {
		return nil, fmt.Errorf("%w: commit %q", ErrInvalidArgument, sha)
	}
	if err := r.ensureCommit(ctx, sha); err != nil {
		return nil, err
	}
	args := []string{"log", logFormat, sha + "..HEAD", "--"}
	for _, p := range paths {
		clean, err := cleanRepoPath(p)
		if err != nil {
			return nil, err
		}
		args = append(args, clean)
	}
	return r.log(ctx, args)
}

func (r *Repo) log(ctx context.Context, args []string) ([]Commit, error) {
	out, err := r.git(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	commits, err := ParseLog(string(out))
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return commits, nil
}

// ensureCommit makes sha available locally, unshallowing once if needed.
func (r *Repo) ensureCommit(ctx context.Context, sha string) error {
	if r.hasCommit(ctx, sha) {
		return nil
	}
	if !r.shallow() {
		return fmt.Errorf("commit %s is not in the history of %s: %w", sha, r.url, ErrInvalidArgument)
	}
	branch, err := r.git(ctx, "symbolic-ref", "--short", "HEAD")
	if err != nil {
		return fmt.Errorf("find current branch: %w", err)
	}
	b := strings.TrimSpace(string(branch))
	if err := ValidateBranch(b); err != nil {
		return err
	}
	r.m.stats.fetches.Add(1)
	if _, err := r.remote(ctx, r.dir, "fetch", "--no-tags", "--quiet", "--unshallow", "origin",
		"+refs/heads/"+b+":refs/remotes/origin/"+b); err != nil {
		return fmt.Errorf("deepen history: %w", err)
	}
	if !r.hasCommit(ctx, sha) {
		return fmt.Errorf("commit %s is not in the history of %s: %w", sha, r.url, ErrInvalidArgument)
	}
	return nil
}

func (r *Repo) hasCommit(ctx context.Context, sha string) bool {
	_, err := r.git(ctx, "cat-file", "-e", sha+"^{commit}")
	return err == nil
}

// ParseLog parses the output of git log with the package's log format.
func ParseLog(out string) ([]Commit, error) {
	var commits []Commit
	for _, rec := range strings.Split(out, "\x1e") {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		f := strings.Split(rec, "\x00")
		if len(f) != 7 || !isHex(f[0]) {
			return nil, fmt.Errorf("unexpected git log record %q", truncate(rec, 80))
		}
		secs, err := strconv.ParseInt(f[5], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("commit %s date %q: %w", f[0], f[5], err)
		}
		commits = append(commits, Commit{
			SHA: f[0], AuthorName: f[1], AuthorEmail: f[2], CommitterName: f[3],
			CommitterEmail: f[4], When: time.Unix(secs, 0).UTC(), Subject: f[6],
		})
	}
	return commits, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
