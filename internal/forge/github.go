package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v89/github"
)

type gitHub struct {
	c           *github.Client
	owner, repo string
	token       string
}

func newGitHub(api, path, token string, hc *http.Client) (Provider, error) {
	owner, repo, ok := strings.Cut(path, "/")
	if !ok || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("%w: GitHub repository path %q is not owner/repository", ErrConfig, path)
	}
	upload := strings.TrimSuffix(api, "/api/v3/") + "/api/uploads/"
	if api == "https://api.github.com/" {
		upload = "https://uploads.github.com/"
	}
	c, err := github.NewClient(github.WithHTTPClient(hc), github.WithAuthToken(token),
		github.WithURLs(&api, &upload), github.WithUserAgent("imagepilot"))
	if err != nil {
		return nil, fmt.Errorf("%w: GitHub client for %s: %w", ErrConfig, api, redactErr(err, token))
	}
	return &gitHub{c: c, owner: owner, repo: repo, token: token}, nil
}

func (g *gitHub) Name() string { return GitHub }

func (g *gitHub) fail(op string, resp *github.Response, err error) error {
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	var er *github.ErrorResponse
	if status == 0 && errors.As(err, &er) && er.Response != nil {
		status = er.Response.StatusCode
	}
	return apiError(GitHub, op, status, err, g.token)
}

func (g *gitHub) convert(p *github.PullRequest) PullRequest {
	return PullRequest{Number: int64(p.GetNumber()), URL: p.GetHTMLURL(), Head: p.GetHead().GetRef(),
		Base: p.GetBase().GetRef(), Title: p.GetTitle()}
}

func (g *gitHub) list(ctx context.Context, opts *github.PullRequestListOptions, keep func(*github.PullRequest) bool) ([]PullRequest, error) {
	opts.State, opts.PerPage = "open", 100
	var out []PullRequest
	for page := 1; page != 0; {
		opts.Page = page
		prs, resp, err := g.c.PullRequests.List(ctx, g.owner, g.repo, opts)
		if err != nil {
			return nil, g.fail("list pull requests", resp, err)
		}
		for _, p := range prs {
			if keep(p) {
				out = append(out, g.convert(p))
			}
		}
		page = resp.NextPage
	}
	return out, nil
}

func (g *gitHub) FindOpen(ctx context.Context, base, head string) (*PullRequest, error) {
	prs, err := g.list(ctx, &github.PullRequestListOptions{Head: g.owner + ":" + head, Base: base},
		func(p *github.PullRequest) bool { return p.GetHead().GetRef() == head && p.GetBase().GetRef() == base })
	if err != nil || len(prs) == 0 {
		return nil, err
	}
	return &prs[0], nil
}

func (g *gitHub) ListOpen(ctx context.Context, base, headPrefix string) ([]PullRequest, error) {
	return g.list(ctx, &github.PullRequestListOptions{Base: base}, func(p *github.PullRequest) bool {
		return p.GetBase().GetRef() == base && branchHasPrefix(p.GetHead().GetRef(), headPrefix) &&
			// Only heads in this repository: a fork's branch is not ours.
			strings.EqualFold(p.GetHead().GetRepo().GetFullName(), g.owner+"/"+g.repo)
	})
}

func (g *gitHub) Open(ctx context.Context, n NewPullRequest) (PullRequest, error) {
	p, resp, err := g.c.PullRequests.Create(ctx, g.owner, g.repo, &github.NewPullRequest{
		Title: github.Ptr(n.Title), Head: github.Ptr(n.Head), Base: github.Ptr(n.Base), Body: github.Ptr(n.Body),
	})
	if err != nil {
		if gitHubAlreadyExists(err) {
			return adoptExisting(ctx, g, n, func() error {
				return g.fail("open pull request (GitHub says one exists, but none is listed)", resp, err)
			})
		}
		return PullRequest{}, g.fail("open pull request", resp, err)
	}
	out := g.convert(p)
	if len(n.Labels) > 0 {
		// The create call has no labels; they are set on the issue.
		if _, resp, err := g.c.Issues.AddLabelsToIssue(ctx, g.owner, g.repo, p.GetNumber(), n.Labels); err != nil {
			out.Warnings = append(out.Warnings, "labels not set: "+g.fail("add labels", resp, err).Error())
		}
	}
	return out, nil
}

// gitHubAlreadyExists reports GitHub's 422 "A pull request already exists".
func gitHubAlreadyExists(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if strings.Contains(e.Message, "A pull request already exists") {
			return true
		}
	}
	return strings.Contains(er.Message, "A pull request already exists")
}

func (g *gitHub) Close(ctx context.Context, pr PullRequest, comment string) error {
	if comment != "" {
		if _, resp, err := g.c.Issues.CreateComment(ctx, g.owner, g.repo, int(pr.Number), &github.IssueComment{Body: github.Ptr(comment)}); err != nil {
			return g.fail(fmt.Sprintf("comment on pull request #%d", pr.Number), resp, err)
		}
	}
	if _, resp, err := g.c.PullRequests.Edit(ctx, g.owner, g.repo, int(pr.Number), &github.PullRequest{State: github.Ptr("closed")}); err != nil {
		return g.fail(fmt.Sprintf("close pull request #%d", pr.Number), resp, err)
	}
	return nil
}

func (g *gitHub) DeleteBranch(ctx context.Context, branch string) error {
	resp, err := g.c.Git.DeleteRef(ctx, g.owner, g.repo, "heads/"+branch)
	if err != nil {
		// 422 "Reference does not exist", 404: already gone.
		if resp != nil && (resp.StatusCode == http.StatusUnprocessableEntity || resp.StatusCode == http.StatusNotFound) {
			return nil
		}
		return g.fail("delete branch "+branch, resp, err)
	}
	return nil
}
