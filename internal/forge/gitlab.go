package forge

import (
	"context"
	"fmt"
	"net/http"

	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

type gitLab struct {
	c       *gitlab.Client
	project string // group/subgroup/project
	token   string
}

func newGitLab(api, path, token string, hc *http.Client) (Provider, error) {
	// Retries are the cycle's business: a failed call fails the target
	// and the next cycle tries again.
	c, err := gitlab.NewClient(token, gitlab.WithBaseURL(api), gitlab.WithHTTPClient(hc), gitlab.WithoutRetries(),
		gitlab.WithUserAgent("imagepilot"))
	if err != nil {
		return nil, fmt.Errorf("%w: GitLab client for %s: %w", ErrConfig, api, redactErr(err, token))
	}
	return &gitLab{c: c, project: path, token: token}, nil
}

func (g *gitLab) Name() string { return GitLab }

func (g *gitLab) fail(op string, resp *gitlab.Response, err error) error {
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	return apiError(GitLab, op, status, err, g.token)
}

func (g *gitLab) list(ctx context.Context, opts *gitlab.ListProjectMergeRequestsOptions, keep func(*gitlab.BasicMergeRequest) bool) ([]PullRequest, error) {
	opts.State = gitlab.Ptr("opened")
	opts.PerPage = 100
	var out []PullRequest
	for page := int64(1); page != 0; {
		opts.Page = page
		mrs, resp, err := g.c.MergeRequests.ListProjectMergeRequests(g.project, opts, gitlab.WithContext(ctx))
		if err != nil {
			return nil, g.fail("list merge requests", resp, err)
		}
		for _, m := range mrs {
			if keep(m) {
				out = append(out, PullRequest{Number: m.IID, URL: m.WebURL, Head: m.SourceBranch, Base: m.TargetBranch, Title: m.Title})
			}
		}
		page = resp.NextPage
	}
	return out, nil
}

func (g *gitLab) FindOpen(ctx context.Context, base, head string) (*PullRequest, error) {
	prs, err := g.list(ctx, &gitlab.ListProjectMergeRequestsOptions{SourceBranch: gitlab.Ptr(head), TargetBranch: gitlab.Ptr(base)},
		func(m *gitlab.BasicMergeRequest) bool { return m.SourceBranch == head && m.TargetBranch == base })
	if err != nil || len(prs) == 0 {
		return nil, err
	}
	return &prs[0], nil
}

func (g *gitLab) ListOpen(ctx context.Context, base, headPrefix string) ([]PullRequest, error) {
	return g.list(ctx, &gitlab.ListProjectMergeRequestsOptions{TargetBranch: gitlab.Ptr(base)}, func(m *gitlab.BasicMergeRequest) bool {
		return m.TargetBranch == base && branchHasPrefix(m.SourceBranch, headPrefix) &&
			// Only merge requests from this project, not from forks.
			(m.SourceProjectID == 0 || m.SourceProjectID == m.TargetProjectID)
	})
}

func (g *gitLab) Open(ctx context.Context, n NewPullRequest) (PullRequest, error) {
	opts := &gitlab.CreateMergeRequestOptions{
		Title: gitlab.Ptr(n.Title), Description: gitlab.Ptr(n.Body),
		SourceBranch: gitlab.Ptr(n.Head), TargetBranch: gitlab.Ptr(n.Base),
	}
	if len(n.Labels) > 0 {
		opts.Labels = gitlab.Ptr(gitlab.LabelOptions(n.Labels))
	}
	m, resp, err := g.c.MergeRequests.CreateMergeRequest(g.project, opts, gitlab.WithContext(ctx))
	if err != nil {
		// 409: "Another open merge request already exists for this source branch".
		if resp != nil && resp.StatusCode == http.StatusConflict {
			return adoptExisting(ctx, g, n, func() error {
				return g.fail("open merge request (GitLab says one exists, but none is listed)", resp, err)
			})
		}
		return PullRequest{}, g.fail("open merge request", resp, err)
	}
	return PullRequest{Number: m.IID, URL: m.WebURL, Head: m.SourceBranch, Base: m.TargetBranch, Title: m.Title}, nil
}

func (g *gitLab) Close(ctx context.Context, pr PullRequest, comment string) error {
	if comment != "" {
		if _, resp, err := g.c.Notes.CreateMergeRequestNote(g.project, pr.Number, &gitlab.CreateMergeRequestNoteOptions{Body: gitlab.Ptr(comment)}, gitlab.WithContext(ctx)); err != nil {
			return g.fail(fmt.Sprintf("comment on merge request !%d", pr.Number), resp, err)
		}
	}
	if _, resp, err := g.c.MergeRequests.UpdateMergeRequest(g.project, pr.Number, &gitlab.UpdateMergeRequestOptions{StateEvent: gitlab.Ptr("close")}, gitlab.WithContext(ctx)); err != nil {
		return g.fail(fmt.Sprintf("close merge request !%d", pr.Number), resp, err)
	}
	return nil
}

func (g *gitLab) DeleteBranch(ctx context.Context, branch string) error {
	resp, err := g.c.Branches.DeleteBranch(g.project, branch, gitlab.WithContext(ctx))
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil
		}
		return g.fail("delete branch "+branch, resp, err)
	}
	return nil
}
