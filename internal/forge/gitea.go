package forge

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"code.gitea.io/sdk/gitea"
)

type giteaForge struct {
	api         string
	hc          *http.Client
	owner, repo string
	token       string
}

func newGitea(api, path, token string, hc *http.Client) (Provider, error) {
	owner, repo, ok := strings.Cut(path, "/")
	if !ok || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("%w: Gitea repository path %q is not owner/repository", ErrConfig, path)
	}
	return &giteaForge{api: strings.TrimSuffix(api, "/"), hc: hc, owner: owner, repo: repo, token: token}, nil
}

func (g *giteaForge) Name() string { return Gitea }

// client builds an SDK client bound to ctx (the SDK keeps the context on
// the client). The server version is not asked for: the calls used work on
// every Gitea since 1.11 and on Forgejo.
func (g *giteaForge) client(ctx context.Context) (*gitea.Client, error) {
	c, err := gitea.NewClient(g.api, gitea.SetHTTPClient(g.hc), gitea.SetToken(g.token), gitea.SetGiteaVersion(""),
		gitea.SetContext(ctx), gitea.SetUserAgent("imagepilot"))
	if err != nil {
		return nil, fmt.Errorf("%w: Gitea client for %s: %w", ErrConfig, g.api, redactErr(err, g.token))
	}
	return c, nil
}

func (g *giteaForge) fail(op string, resp *gitea.Response, err error) error {
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	return apiError(Gitea, op, status, err, g.token)
}

func (g *giteaForge) convert(p *gitea.PullRequest) PullRequest {
	out := PullRequest{Number: p.Index, URL: p.HTMLURL, Title: p.Title}
	if p.Head != nil {
		out.Head = p.Head.Ref
	}
	if p.Base != nil {
		out.Base = p.Base.Ref
	}
	return out
}

func (g *giteaForge) list(ctx context.Context, keep func(*gitea.PullRequest) bool) ([]PullRequest, error) {
	c, err := g.client(ctx)
	if err != nil {
		return nil, err
	}
	var out []PullRequest
	for page := 1; page != 0; {
		prs, resp, err := c.ListRepoPullRequests(g.owner, g.repo, gitea.ListPullRequestsOptions{
			ListOptions: gitea.ListOptions{Page: page, PageSize: 50}, State: gitea.StateOpen})
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

func (g *giteaForge) sameRepo(p *gitea.PullRequest) bool {
	return p.Head == nil || p.Head.Repository == nil || strings.EqualFold(p.Head.Repository.FullName, g.owner+"/"+g.repo)
}

func (g *giteaForge) FindOpen(ctx context.Context, base, head string) (*PullRequest, error) {
	prs, err := g.list(ctx, func(p *gitea.PullRequest) bool {
		return p.Head != nil && p.Base != nil && p.Head.Ref == head && p.Base.Ref == base && g.sameRepo(p)
	})
	if err != nil || len(prs) == 0 {
		return nil, err
	}
	return &prs[0], nil
}

func (g *giteaForge) ListOpen(ctx context.Context, base, headPrefix string) ([]PullRequest, error) {
	return g.list(ctx, func(p *gitea.PullRequest) bool {
		return p.Head != nil && p.Base != nil && p.Base.Ref == base && branchHasPrefix(p.Head.Ref, headPrefix) && g.sameRepo(p)
	})
}

func (g *giteaForge) Open(ctx context.Context, n NewPullRequest) (PullRequest, error) {
	c, err := g.client(ctx)
	if err != nil {
		return PullRequest{}, err
	}
	var warnings []string
	ids, missing, err := g.labelIDs(c, n.Labels)
	if err != nil {
		warnings = append(warnings, "labels not set: "+err.Error())
	} else if len(missing) > 0 {
		warnings = append(warnings, fmt.Sprintf("labels not set: the repository has no label %s", strings.Join(missing, ", ")))
	}
	p, resp, err := c.CreatePullRequest(g.owner, g.repo, gitea.CreatePullRequestOption{
		Head: n.Head, Base: n.Base, Title: n.Title, Body: n.Body, Labels: ids})
	if err != nil {
		// 409: "pull request already exists for these targets".
		if resp != nil && resp.StatusCode == http.StatusConflict {
			return adoptExisting(ctx, g, n, func() error {
				return g.fail("open pull request (Gitea says one exists, but none is listed)", resp, err)
			})
		}
		return PullRequest{}, g.fail("open pull request", resp, err)
	}
	out := g.convert(p)
	out.Warnings = warnings
	return out, nil
}

// labelIDs maps label names to the repository's label IDs (Gitea's create
// call takes IDs); names the repository lacks are returned as missing.
func (g *giteaForge) labelIDs(c *gitea.Client, names []string) (ids []int64, missing []string, err error) {
	if len(names) == 0 {
		return nil, nil, nil
	}
	byName := map[string]int64{}
	for page := 1; page != 0; {
		labels, resp, err := c.ListRepoLabels(g.owner, g.repo, gitea.ListLabelsOptions{ListOptions: gitea.ListOptions{Page: page, PageSize: 50}})
		if err != nil {
			return nil, nil, g.fail("list labels", resp, err)
		}
		for _, l := range labels {
			byName[l.Name] = l.ID
		}
		page = resp.NextPage
	}
	for _, n := range names {
		if id, ok := byName[n]; ok {
			ids = append(ids, id)
		} else {
			missing = append(missing, n)
		}
	}
	return ids, missing, nil
}

func (g *giteaForge) Close(ctx context.Context, pr PullRequest, comment string) error {
	c, err := g.client(ctx)
	if err != nil {
		return err
	}
	if comment != "" {
		if _, resp, err := c.CreateIssueComment(g.owner, g.repo, pr.Number, gitea.CreateIssueCommentOption{Body: comment}); err != nil {
			return g.fail(fmt.Sprintf("comment on pull request #%d", pr.Number), resp, err)
		}
	}
	closed := gitea.StateClosed
	if _, resp, err := c.EditPullRequest(g.owner, g.repo, pr.Number, gitea.EditPullRequestOption{State: &closed}); err != nil {
		return g.fail(fmt.Sprintf("close pull request #%d", pr.Number), resp, err)
	}
	return nil
}

func (g *giteaForge) DeleteBranch(ctx context.Context, branch string) error {
	c, err := g.client(ctx)
	if err != nil {
		return err
	}
	ok, resp, err := c.DeleteRepoBranch(g.owner, g.repo, branch)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil
		}
		return g.fail("delete branch "+branch, resp, err)
	}
	if !ok {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil // already gone
		}
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return g.fail("delete branch "+branch, resp, fmt.Errorf("the server answered %d, not 204", status))
	}
	return nil
}
