package git

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// CommitRequest describes one change to commit and push.
type CommitRequest struct {
	// Branch receives the commit.
	Branch string
	// Base, when set, is the branch a missing Branch is created from.
	// Together with AllowForce, Branch is rebuilt from Base on every call
	// and replaced on the remote (for write branches imagepilot owns).
	Base string
	// Message is the commit message.
	Message string
	// MessageFunc, when set, renders the message after each Apply (so it
	// can describe what that run actually changed) and replaces Message.
	MessageFunc func() (string, error)
	// Apply edits the files under dir (the working copy, checked out clean
	// at the remote head) and reports whether it changed anything. It is
	// called again after a rejected push, on the new remote head, so it
	// must derive its change from the current content.
	Apply func(dir string) (changed bool, err error)
	// Author overrides the Manager's author (and committer) when set.
	Author Signature
	// SignOff adds a Signed-off-by trailer.
	SignOff bool
	// Signing overrides the Manager's signing configuration when set.
	Signing *SigningConfig
	// AllowForce permits replacing the remote branch (with a lease on the
	// fetched head, so a concurrent update is still detected). Never set
	// it for branches other people write to.
	AllowForce bool
	// Publisher, when set, creates the commit and moves the branch instead
	// of a local commit and git push (the GitHub API, which signs it).
	// Author and Signing then do not apply: the publisher's service sets
	// them.
	Publisher Publisher
}

// PushResult reports the outcome of CommitAndPush.
type PushResult struct {
	// Commit is the branch head after the call: the pushed commit, or the
	// unchanged head when there was nothing to commit.
	Commit string
	// Pushed reports whether a commit was pushed.
	Pushed bool
	// Attempts is how many times Apply was called.
	Attempts int
}

func (req *CommitRequest) validate() error {
	if err := ValidateBranch(req.Branch); err != nil {
		return err
	}
	if req.Base != "" {
		if err := ValidateBranch(req.Base); err != nil {
			return err
		}
	}
	if req.Apply == nil {
		return fmt.Errorf("%w: commit request without Apply", ErrInvalidArgument)
	}
	if strings.TrimSpace(req.Message) == "" && req.MessageFunc == nil {
		return fmt.Errorf("%w: empty commit message", ErrInvalidArgument)
	}
	return nil
}

// message returns the commit message for the current Apply run.
func (req *CommitRequest) message() (string, error) {
	if req.MessageFunc == nil {
		return req.Message, nil
	}
	msg, err := req.MessageFunc()
	if err != nil {
		return "", fmt.Errorf("commit message: %w", err)
	}
	if strings.TrimSpace(msg) == "" {
		return "", fmt.Errorf("%w: empty commit message", ErrInvalidArgument)
	}
	return msg, nil
}

// CommitAndPush applies, commits and pushes req, re-applying on the new
// remote head when someone else pushed first, up to the Manager's attempt
// bound (then the error wraps ErrPushRejected).
func (r *Repo) CommitAndPush(ctx context.Context, req CommitRequest) (PushResult, error) {
	if err := req.validate(); err != nil {
		return PushResult{}, err
	}
	var res PushResult
	for res.Attempts < r.m.opts.pushAttempts {
		res.Attempts++
		done, err := r.attempt(ctx, &req, &res)
		if done || err != nil {
			return res, err
		}
		r.m.stats.rejections.Add(1)
		if err := r.backoff(ctx, res.Attempts); err != nil {
			return res, err
		}
	}
	return res, fmt.Errorf("push to %s after %d attempts: %w", req.Branch, res.Attempts, ErrPushRejected)
}

// attempt runs one prepare-apply-commit-push round. done is false only
// when the push was rejected because the branch moved.
func (r *Repo) attempt(ctx context.Context, req *CommitRequest, res *PushResult) (done bool, err error) {
	lease, err := r.prepare(ctx, req)
	if err != nil {
		return true, err
	}
	changed, err := req.Apply(r.dir)
	if err != nil {
		return true, fmt.Errorf("apply changes: %w", err)
	}
	if req.Publisher != nil {
		changed, rejected, err := r.publish(ctx, req, lease, res)
		res.Pushed = changed && !rejected && err == nil
		return !rejected, err
	}
	if changed {
		if changed, err = r.commit(ctx, req); err != nil {
			return true, err
		}
	}
	if res.Commit, err = r.Head(ctx); err != nil {
		return true, err
	}
	if !changed {
		return true, nil
	}
	rejected, err := r.push(ctx, req, lease, res.Commit)
	if err != nil || rejected {
		return !rejected, err
	}
	res.Pushed = true
	return true, nil
}

// prepare checks out the starting point of a round and returns the remote
// head the push may replace ("" when the branch does not exist yet).
func (r *Repo) prepare(ctx context.Context, req *CommitRequest) (lease string, err error) {
	err = r.fetch(ctx, req.Branch)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrBranchNotFound) {
		return "", err
	}
	if exists {
		if lease, err = r.revParse(ctx, "refs/remotes/origin/"+req.Branch); err != nil {
			return "", err
		}
	}
	if exists && !(req.AllowForce && req.Base != "") {
		return lease, r.resetTo(ctx, req.Branch, "refs/remotes/origin/"+req.Branch)
	}
	if req.Base == "" {
		return "", fmt.Errorf("fetch %s: %w", req.Branch, ErrBranchNotFound)
	}
	if err := r.fetch(ctx, req.Base); err != nil {
		return "", err
	}
	return lease, r.resetTo(ctx, req.Branch, "refs/remotes/origin/"+req.Base)
}

func (r *Repo) revParse(ctx context.Context, rev string) (string, error) {
	out, err := r.git(ctx, "rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", rev, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// commit stages everything and commits it; changed is false when the tree
// did not actually change.
func (r *Repo) commit(ctx context.Context, req *CommitRequest) (changed bool, err error) {
	if _, err := r.git(ctx, "add", "--all"); err != nil {
		return false, fmt.Errorf("stage changes: %w", err)
	}
	if _, err := r.git(ctx, "diff", "--cached", "--quiet"); err == nil {
		return false, nil
	} else if ce := (*CommandError)(nil); !errors.As(err, &ce) || ce.ExitCode != 1 {
		return false, fmt.Errorf("compare index: %w", err)
	}
	msg, err := req.message()
	if err != nil {
		return false, err
	}
	sess, err := newSession(Credentials{})
	if err != nil {
		return false, err
	}
	defer sess.Close()
	inv, err := r.commitInvocation(req, msg, sess)
	if err != nil {
		return false, err
	}
	if _, err := r.run.run(ctx, inv); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	r.m.stats.commits.Add(1)
	return true, nil
}

func (r *Repo) commitInvocation(req *CommitRequest, msg string, sess *session) (invocation, error) {
	author := req.Author
	if author.Name == "" || author.Email == "" {
		author = r.m.opts.author
	}
	signing := req.Signing
	if signing == nil {
		signing = r.m.opts.signing
	}
	cfg, opts, env, err := signing.signingArgs(sess)
	if err != nil {
		return invocation{}, err
	}
	args := append([]string{"-c", "core.hooksPath=/dev/null"}, cfg...)
	args = append(args, "commit", "--quiet", "--no-verify", "--file=-")
	args = append(args, opts...)
	if req.SignOff {
		args = append(args, "--signoff")
	}
	env = append(env,
		"GIT_AUTHOR_NAME="+author.Name, "GIT_AUTHOR_EMAIL="+author.Email,
		"GIT_COMMITTER_NAME="+author.Name, "GIT_COMMITTER_EMAIL="+author.Email)
	return invocation{dir: r.dir, args: args, env: env, stdin: strings.NewReader(msg),
		secrets: r.creds.secrets()}, nil
}

// push sends HEAD (the commit sha) to the branch and confirms that the
// remote took it. rejected reports a push refused because the remote branch
// moved (retryable); other failures, and a push the remote does not
// confirm, are errors.
func (r *Repo) push(ctx context.Context, req *CommitRequest, lease, sha string) (rejected bool, err error) {
	args := []string{"push", "--porcelain"}
	if req.AllowForce {
		args = append(args, "--force-with-lease=refs/heads/"+req.Branch+":"+lease)
	}
	args = append(args, "origin", sha+":refs/heads/"+req.Branch)
	r.m.stats.pushes.Add(1)
	out, err := r.remote(ctx, r.dir, args...)
	if err == nil {
		return false, r.confirmPush(ctx, req.Branch, sha, string(out))
	}
	var ce *CommandError
	if errors.As(err, &ce) && IsRetryableRejection(string(out)+"\n"+ce.Stderr) {
		r.run.logger.InfoContext(ctx, "push rejected, branch moved; retrying on the new head",
			"repository", Redact(r.url), "branch", req.Branch)
		return true, nil
	}
	if st, ok := parsePushStatus(string(out), "refs/heads/"+req.Branch); ok && st.Summary != "" {
		return false, fmt.Errorf("push %s: %s: %w", req.Branch, Redact(st.Summary, r.creds.secrets()...), err)
	}
	return false, fmt.Errorf("push %s: %w", req.Branch, err)
}

// IsRetryableRejection reports whether git push output says the remote
// branch moved (fetch first, non-fast-forward, stale lease, lost ref-lock
// race) as opposed to a refusal that retrying cannot fix.
func IsRetryableRejection(out string) bool {
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "rejected]") {
			continue
		}
		for _, reason := range []string{"(fetch first)", "(non-fast-forward)", "(stale info)", "cannot lock ref", "failed to update ref"} {
			if strings.Contains(line, reason) {
				return true
			}
		}
	}
	return false
}

// backoff waits before attempt+1: the base delay doubled per attempt, with
// up to 50% jitter, honouring ctx.
func (r *Repo) backoff(ctx context.Context, attempt int) error {
	d := r.m.opts.backoff << min(attempt-1, 6)
	if d > 0 {
		d += rand.N(d/2 + 1)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait to retry push: %w", ctx.Err())
	}
}
