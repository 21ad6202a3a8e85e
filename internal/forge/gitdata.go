package forge

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v89/github"

	"github.com/imagepilot/imagepilot/internal/git"
)

// GitHubCommitter creates commits through GitHub's Git Data API (blobs, a
// tree on the parent's tree, a commit, a ref update). GitHub signs commits
// made this way with an App installation token and shows them as
// "Verified"; author and committer are left to GitHub. It implements
// git.Publisher.
type GitHubCommitter struct {
	c           *github.Client
	owner, repo string
	token       string
}

var _ git.Publisher = (*GitHubCommitter)(nil)

// NewGitHubCommitter builds a committer for cfg's repository (cfg.Provider
// is ignored: the Git Data API is GitHub's).
func NewGitHubCommitter(cfg Config) (*GitHubCommitter, error) {
	if cfg.Token == "" {
		return nil, fmt.Errorf("%w: the GitHub API commit needs an installation token", ErrConfig)
	}
	api, err := APIBaseURL(GitHub, cfg.RepoURL, cfg.APIURL)
	if err != nil {
		return nil, err
	}
	path, err := RepoPath(cfg.RepoURL)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	p, err := newGitHub(api, path, cfg.Token, hc)
	if err != nil {
		return nil, err
	}
	g := p.(*gitHub)
	return &GitHubCommitter{c: g.c, owner: g.owner, repo: g.repo, token: cfg.Token}, nil
}

func (g *GitHubCommitter) fail(op string, resp *github.Response, err error) error {
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	return apiError(GitHub, op, status, err, g.token)
}

// Publish creates the commit of p and moves p.Branch to it: a
// fast-forward (GitHub answers 422 "Update is not a fast forward" when the
// branch moved; that error wraps git.ErrNotFastForward), a new branch when
// p.Lease is empty, or, with p.Force, a forced update after checking that
// the branch is still at p.Lease.
func (g *GitHubCommitter) Publish(ctx context.Context, p git.Publication) (string, error) {
	if len(p.Files) == 0 {
		return "", fmt.Errorf("%w: GitHub API commit without changes", ErrConfig)
	}
	parent, resp, err := g.c.Git.GetCommit(ctx, g.owner, g.repo, p.Parent)
	if err != nil {
		return "", g.fail("get commit "+p.Parent, resp, err)
	}
	entries, err := g.entries(ctx, p.Files)
	if err != nil {
		return "", err
	}
	tree, resp, err := g.c.Git.CreateTree(ctx, g.owner, g.repo, parent.GetTree().GetSHA(), entries)
	if err != nil {
		return "", g.fail("create tree", resp, err)
	}
	commit, resp, err := g.c.Git.CreateCommit(ctx, g.owner, g.repo, github.Commit{
		Message: github.Ptr(p.Message), Tree: &github.Tree{SHA: tree.SHA},
		Parents: []*github.Commit{{SHA: github.Ptr(p.Parent)}},
	}, nil)
	if err != nil {
		return "", g.fail("create commit", resp, err)
	}
	sha := commit.GetSHA()
	if sha == "" {
		return "", fmt.Errorf("%w: GitHub created a commit without a SHA", ErrConfig)
	}
	return sha, g.moveRef(ctx, p, sha)
}

// entries uploads each file as a base64 blob (any content, binary too)
// and returns the tree entries; a deleted file is an entry without SHA.
func (g *GitHubCommitter) entries(ctx context.Context, files []git.FileChange) ([]*github.TreeEntry, error) {
	out := make([]*github.TreeEntry, 0, len(files))
	for _, f := range files {
		if f.Deleted {
			out = append(out, &github.TreeEntry{Path: github.Ptr(f.Path), Mode: github.Ptr("100644"), Type: github.Ptr("blob")})
			continue
		}
		switch f.Mode {
		case "100644", "100755", "120000":
		default:
			return nil, fmt.Errorf("%w: %s has mode %q, which the API commit cannot write", ErrConfig, f.Path, f.Mode)
		}
		blob, resp, err := g.c.Git.CreateBlob(ctx, g.owner, g.repo, github.Blob{
			Content: github.Ptr(base64.StdEncoding.EncodeToString(f.Content)), Encoding: github.Ptr("base64")})
		if err != nil {
			return nil, g.fail("create blob for "+f.Path, resp, err)
		}
		out = append(out, &github.TreeEntry{Path: github.Ptr(f.Path), Mode: github.Ptr(f.Mode), Type: github.Ptr("blob"), SHA: blob.SHA})
	}
	return out, nil
}

func (g *GitHubCommitter) moveRef(ctx context.Context, p git.Publication, sha string) error {
	ref := "heads/" + p.Branch
	if p.Lease == "" {
		_, resp, err := g.c.Git.CreateRef(ctx, g.owner, g.repo, github.CreateRef{Ref: "refs/" + ref, SHA: sha})
		if err == nil {
			return nil
		}
		if resp != nil && resp.StatusCode == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(err.Error()), "already exists") {
			// Someone created the branch since it was fetched.
			return fmt.Errorf("create branch %s: %w", p.Branch, git.ErrNotFastForward)
		}
		return g.fail("create branch "+p.Branch, resp, err)
	}
	if p.Force {
		// GitHub has no compare-and-swap for a forced update: check the
		// lease just before it (a narrow window remains, as documented).
		cur, resp, err := g.c.Git.GetRef(ctx, g.owner, g.repo, ref)
		if err != nil {
			return g.fail("get branch "+p.Branch, resp, err)
		}
		if cur.GetObject().GetSHA() != p.Lease {
			return fmt.Errorf("branch %s is at %s, not %s: %w", p.Branch, cur.GetObject().GetSHA(), p.Lease, git.ErrNotFastForward)
		}
	}
	upd := github.UpdateRef{SHA: sha}
	if p.Force {
		upd.Force = github.Ptr(true)
	}
	_, resp, err := g.c.Git.UpdateRef(ctx, g.owner, g.repo, ref, upd)
	if err == nil {
		return nil
	}
	if IsNotFastForward(resp, err) {
		return fmt.Errorf("update branch %s: %w", p.Branch, git.ErrNotFastForward)
	}
	return g.fail("update branch "+p.Branch, resp, err)
}

// IsNotFastForward reports GitHub's answer to a ref update that is not a
// fast-forward: 422 with the message "Update is not a fast forward".
func IsNotFastForward(resp *github.Response, err error) bool {
	if resp == nil || resp.Response == nil || resp.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		return strings.Contains(strings.ToLower(er.Message), "not a fast forward")
	}
	return false
}
