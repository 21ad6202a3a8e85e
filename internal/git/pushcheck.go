package git

import (
	"context"
	"fmt"
	"strings"
)

// pushStatus is the line `git push --porcelain` prints for one ref:
// "<flag>\t<src>:<dst>\t<summary>".
type pushStatus struct {
	Flag    byte   // ' ' fast-forward, '+' forced, '-' deleted, '*' new, '!' rejected, '=' up to date
	Summary string // such as "[new branch]" or "abc..def"
}

// parsePushStatus finds the status of the destination ref dst in porcelain
// push output.
func parsePushStatus(out, dst string) (pushStatus, bool) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if len(line) < 3 || line[1] != '\t' {
			continue
		}
		refs, summary, _ := strings.Cut(line[2:], "\t")
		_, to, ok := strings.Cut(refs, ":")
		if ok && to == dst {
			return pushStatus{Flag: line[0], Summary: summary}, true
		}
	}
	return pushStatus{}, false
}

// accepted reports whether the flag says the remote updated (or already
// had) the ref.
func (s pushStatus) accepted() bool {
	return s.Flag == ' ' || s.Flag == '+' || s.Flag == '*' || s.Flag == '='
}

// confirmPush checks, after git reported success, that the remote really
// took the push: git's porcelain status for the branch says it was updated,
// and the remote branch now is sha, or (when someone pushed on top in the
// meantime) contains it. Otherwise the error wraps ErrPushNotConfirmed: a
// hook, proxy or server that answers "ok" without moving the ref must not
// make imagepilot report a commit as pushed.
func (r *Repo) confirmPush(ctx context.Context, branch, sha, porcelain string) error {
	ref := "refs/heads/" + branch
	st, ok := parsePushStatus(porcelain, ref)
	if !ok || !st.accepted() {
		return fmt.Errorf("push %s: git reported no update of %s (%q): %w", branch, ref,
			Redact(strings.TrimSpace(porcelain), r.creds.secrets()...), ErrPushNotConfirmed)
	}
	out, err := r.remote(ctx, r.dir, "ls-remote", "--", "origin", ref)
	if err != nil {
		return fmt.Errorf("confirm push of %s: %w", branch, err)
	}
	head := parseLsRemote(string(out), ref)
	if head == sha {
		return nil
	}
	if head != "" && r.remoteContains(ctx, branch, sha) {
		return nil
	}
	if head == "" {
		head = "missing"
	}
	return fmt.Errorf("push %s: remote branch is %s, not the pushed commit %s: %w", branch, head, sha, ErrPushNotConfirmed)
}

// remoteContains fetches branch (without a depth limit, so the history
// back to sha links up even in a shallow copy) and reports whether sha is
// an ancestor of the remote head.
func (r *Repo) remoteContains(ctx context.Context, branch, sha string) bool {
	if _, err := r.remote(ctx, r.dir, "fetch", "--no-tags", "--quiet", "origin",
		"+refs/heads/"+branch+":refs/remotes/origin/"+branch); err != nil {
		return false
	}
	_, err := r.git(ctx, "merge-base", "--is-ancestor", sha, "refs/remotes/origin/"+branch)
	return err == nil
}

// parseLsRemote returns the object `git ls-remote` lists for ref, or "".
func parseLsRemote(out, ref string) string {
	for _, line := range strings.Split(out, "\n") {
		sha, name, ok := strings.Cut(strings.TrimSuffix(line, "\r"), "\t")
		if ok && name == ref && validSHA(sha) {
			return sha
		}
	}
	return ""
}

// validSHA reports whether s is a full hexadecimal object name (SHA-1 or
// SHA-256).
func validSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
