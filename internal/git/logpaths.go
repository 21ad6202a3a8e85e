package git

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pathsPerLog bounds the pathspecs one git log command receives (argv
// stays far below the system's limit).
const pathsPerLog = 500

// logPathsFormat starts every record with RS (0x1e) and separates its
// fields with US (0x1f); with -z, the names of the files a commit touched
// follow its header, each ended by NUL.
const logPathsFormat = "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%ct%x1f%s"

// LogPaths returns, for each path, what Log(ctx, path, n) returns: up to n
// commits reachable from HEAD that touched it, newest first. It reads the
// history of many paths with one git command per 500 paths instead of one
// per path. The answer is the same as Log's: a path the combined listing
// cannot answer for certain (the listing hit its bound before the path had
// n commits, or the history has merge commits, whose per-path
// simplification differs) is read with Log on its own.
func (r *Repo) LogPaths(ctx context.Context, paths []string, n int) (map[string][]Commit, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: log limit %d", ErrInvalidArgument, n)
	}
	clean := make([]string, 0, len(paths))
	seen := map[string]bool{}
	for _, p := range paths {
		c, err := cleanRepoPath(p)
		if err != nil {
			return nil, err
		}
		if !seen[c] {
			seen[c] = true
			clean = append(clean, c)
		}
	}
	out := make(map[string][]Commit, len(clean))
	for start := 0; start < len(clean); start += pathsPerLog {
		chunk := clean[start:min(start+pathsPerLog, len(clean))]
		if err := r.logChunk(ctx, chunk, n, out); err != nil {
			return nil, err
		}
	}
	// Answer under the names the caller used.
	for _, p := range paths {
		if c, _ := cleanRepoPath(p); c != p {
			out[p] = out[c]
		}
	}
	return out, nil
}

// logChunk answers for paths with one combined listing, falling back to
// Log for the paths it cannot answer for certain.
func (r *Repo) logChunk(ctx context.Context, paths []string, n int, out map[string][]Commit) error {
	limit := n * len(paths)
	args := append([]string{"log", "-z", "--name-only", "--no-renames", logPathsFormat, "-n", strconv.Itoa(limit), "HEAD", "--"}, paths...)
	raw, err := r.git(ctx, args...)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	// A record the parser cannot read (a file name holding a separator)
	// makes every path of the chunk go through Log.
	recs, perr := parseLogPaths(string(raw))
	byPath, merges := splitByPath(recs, paths, n)
	truncated := len(recs) >= limit
	for _, p := range paths {
		if perr == nil && !merges && (len(byPath[p]) >= n || !truncated) {
			out[p] = byPath[p]
			continue
		}
		commits, err := r.Log(ctx, p, n)
		if err != nil {
			return err
		}
		out[p] = commits
	}
	return nil
}

// splitByPath gives each path its first n commits of recs, and reports
// whether recs contain a merge commit.
func splitByPath(recs []pathCommit, paths []string, n int) (map[string][]Commit, bool) {
	wanted := make(map[string]bool, len(paths))
	for _, p := range paths {
		wanted[p] = true
	}
	byPath := make(map[string][]Commit, len(paths))
	merges := false
	for _, rec := range recs {
		if rec.parents > 1 {
			merges = true
		}
		for _, f := range rec.files {
			if wanted[f] && len(byPath[f]) < n {
				byPath[f] = append(byPath[f], rec.Commit)
			}
		}
	}
	return byPath, merges
}

// pathCommit is one record of a LogPaths listing.
type pathCommit struct {
	Commit
	parents int
	files   []string
}

// parseLogPaths parses the output of git log -z --name-only with
// logPathsFormat.
func parseLogPaths(out string) ([]pathCommit, error) {
	var recs []pathCommit
	for _, rec := range strings.Split(out, "\x1e") {
		if strings.Trim(rec, "\x00\n") == "" {
			continue
		}
		header, names, _ := strings.Cut(rec, "\x00")
		f := strings.SplitN(header, "\x1f", 8)
		if len(f) != 8 || !isHex(f[0]) {
			return nil, fmt.Errorf("unexpected git log record %q", truncate(rec, 80))
		}
		secs, err := strconv.ParseInt(f[6], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("commit %s date %q: %w", f[0], f[6], err)
		}
		pc := pathCommit{
			Commit: Commit{
				SHA: f[0], AuthorName: f[2], AuthorEmail: f[3], CommitterName: f[4],
				CommitterEmail: f[5], When: time.Unix(secs, 0).UTC(), Subject: f[7],
			},
			parents: len(strings.Fields(f[1])),
		}
		for _, name := range strings.Split(strings.TrimPrefix(names, "\n"), "\x00") {
			if name != "" {
				pc.files = append(pc.files, name)
			}
		}
		recs = append(recs, pc)
	}
	return recs, nil
}
