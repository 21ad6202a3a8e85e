package writeback

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/imagepilot/imagepilot/internal/forge"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/target"
)

// PullRequestBranchTemplate names the head branch of a pull request: the
// template Argo CD Image Updater uses, so a request it opened for the same
// change is recognised (and one of ours is recognised by it).
const PullRequestBranchTemplate = "image-updater-{{.TargetKey}}-{{.SHA256}}"

// pullRequestBranchPrefix is what every head branch of targetKey starts with.
func pullRequestBranchPrefix(targetKey string) string { return "image-updater-" + targetKey + "-" }

// States of a PullRequestResult.
const (
	// PRStateOpened: the request was opened by this write.
	PRStateOpened = "opened"
	// PRStateOpen: a request for this change was already open; nothing
	// was pushed.
	PRStateOpen = "open"
	// PRStatePlanned: a dry run; the request would be opened.
	PRStatePlanned = "planned"
	// PRStateNone: the base branch already has the change; nothing was
	// pushed and no request opened.
	PRStateNone = "none"
)

// Pull request outcomes counted by PullRequestCounter.
const (
	PROutcomeOpened = "opened"
	PROutcomeClosed = "closed"
	PROutcomeFailed = "failed"
)

// PullRequestCounter counts pull request outcomes by provider
// (internal/metrics implements it).
type PullRequestCounter interface {
	PullRequest(provider, outcome string)
}

// PullRequestResult is what a pull request write did.
type PullRequestResult struct {
	// Provider is github, gitlab or gitea.
	Provider string
	// State is PRStateOpened, PRStateOpen, PRStatePlanned or PRStateNone.
	State string
	// Number and URL identify the request (unset for planned and none).
	Number int64
	URL    string
	// Head and Base are the request's branches.
	Head, Base string
	// Superseded are the older requests of the same target this write
	// closed (their branches deleted).
	Superseded []forge.PullRequest
}

// Summary is a one-line description for plans and logs.
func (p *PullRequestResult) Summary() string {
	switch p.State {
	case PRStateOpened:
		s := fmt.Sprintf("opened PR #%d %s (%s -> %s)", p.Number, p.URL, p.Head, p.Base)
		for _, o := range p.Superseded {
			s += fmt.Sprintf("; closed superseded PR #%d", o.Number)
		}
		return s
	case PRStateOpen:
		return fmt.Sprintf("PR #%d is open for this change: %s", p.Number, p.URL)
	case PRStatePlanned:
		return fmt.Sprintf("would open PR %s -> %s on %s", p.Head, p.Base, p.Provider)
	default:
		return fmt.Sprintf("no PR: %s already has the change", p.Base)
	}
}

// ForgeFactory builds the forge provider of a pull request write
// (forge.New by default; tests swap it).
type ForgeFactory func(forge.Config) (forge.Provider, error)

// prTarget is what a pull request group proposes to.
type prTarget struct {
	settings  *target.PullRequest
	targetKey string
	// apiRepoURL is the URL the API is derived from: the written
	// repository, or, when that is a local path (repo mode on a clone),
	// the application's repository.
	apiRepoURL string
}

// prKeep lists, per base branch and target key, the head branches this
// write proposes: older requests of the target outside it are superseded.
type prKeep map[string]map[string]bool

func prKeepKey(base, targetKey string) string { return base + "\x00" + targetKey }

func (k prKeep) add(base, targetKey, head string) {
	key := prKeepKey(base, targetKey)
	if k[key] == nil {
		k[key] = map[string]bool{}
	}
	k[key][head] = true
}

// forgeURL picks the repository URL the forge API is derived from.
func forgeURL(writeURL string, t target.Target) string {
	if _, err := forge.RepoPath(writeURL); err == nil && isRemoteURL(writeURL) {
		return writeURL
	}
	if t.WriteBack.Repository != "" {
		return t.WriteBack.Repository
	}
	return t.Source.RepoURL
}

func isRemoteURL(s string) bool {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		return err == nil && u.Scheme != "file" && u.Host != ""
	}
	// scp-like host:path; a local path has no colon before its first slash.
	i := strings.Index(s, ":")
	return i > 0 && !strings.Contains(s[:i], "/")
}

// provider builds the forge client for a group, refusing credentials that
// cannot authenticate API calls.
func (w *GitWriter) provider(p prTarget, creds git.Credentials) (forge.Provider, error) {
	if creds.Password == "" {
		if len(creds.SSHPrivateKey) > 0 {
			return nil, fmt.Errorf("%w: %s: the write-back credentials are SSH-only; opening a %s pull request needs a token (an HTTPS password or access token) in the credentials",
				forge.ErrConfig, p.settings.Field, p.settings.Provider)
		}
		return nil, fmt.Errorf("%w: %s: the write-back credentials have no password or token; opening a %s pull request needs one",
			forge.ErrConfig, p.settings.Field, p.settings.Provider)
	}
	hc, err := w.forgeHTTPClient(p, creds)
	if err != nil {
		return nil, err
	}
	newForge := w.Forge
	if newForge == nil {
		newForge = forge.New
	}
	prov, err := newForge(forge.Config{Provider: p.settings.Provider, RepoURL: p.apiRepoURL, APIURL: p.settings.APIURL,
		Token: creds.Password, HTTPClient: hc})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.settings.Field, err)
	}
	return prov, nil
}

// forgeHTTPClient trusts what the git credentials trust when the API is
// served by the repository's own host (a GitHub Enterprise or GitLab
// server with a private CA); other API hosts use the system roots.
func (w *GitWriter) forgeHTTPClient(p prTarget, creds git.Credentials) (*http.Client, error) {
	timeout := w.ForgeTimeout
	if timeout <= 0 {
		timeout = forge.DefaultTimeout
	}
	api, err := forge.APIBaseURL(p.settings.Provider, p.apiRepoURL, p.settings.APIURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.settings.Field, err)
	}
	au, _ := url.Parse(api)
	ru, err := url.Parse(p.apiRepoURL)
	sameHost := err == nil && au != nil && strings.EqualFold(au.Host, ru.Host)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if sameHost && (len(creds.CAData) > 0 || creds.InsecureSkipTLSVerify || len(creds.ClientCertData) > 0) {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if len(creds.CAData) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(creds.CAData) {
				return nil, fmt.Errorf("%w: %s: the repository's CA bundle has no certificate", forge.ErrConfig, p.settings.Field)
			}
			cfg.RootCAs = pool
		}
		cfg.InsecureSkipVerify = creds.InsecureSkipTLSVerify //nolint:gosec // only for repositories marked insecure
		if len(creds.ClientCertData) > 0 {
			cert, err := tls.X509KeyPair(creds.ClientCertData, creds.ClientKeyData)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: client certificate: %w", forge.ErrConfig, p.settings.Field, err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		tr.TLSClientConfig = cfg
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

func (w *GitWriter) countPR(provider, outcome string) {
	if w.PullRequests != nil {
		w.PullRequests.PullRequest(provider, outcome)
	}
}

// proposeGroup writes one pull request group: the change goes to its own
// head branch, built from the base, and is proposed as a pull request.
// Nothing is pushed when a request for the same change is open, or when
// the base branch already has the change; a failed API call fails the
// group and never pushes to the base.
func (w *GitWriter) proposeGroup(ctx context.Context, repo *git.Repo, creds git.Credentials, g branchGroup, keep prKeep) []GroupResult {
	res := GroupResult{RepoURL: repo.URL(), Branch: g.branch, Base: g.base}
	ed := &groupEditor{layout: w.Layout, decisions: g.decisions, write: !w.DryRun}
	pr := &PullRequestResult{Provider: g.pr.settings.Provider, Head: g.branch, Base: g.base}
	failAPI := func(err error) []GroupResult {
		w.countPR(pr.Provider, PROutcomeFailed)
		res.Err = err
		return w.results(ctx, ed, res)
	}
	prov, err := w.provider(*g.pr, creds)
	if err != nil {
		res.Err = err
		return w.results(ctx, ed, res)
	}
	// Render the change against the base (in memory for a dry run, and to
	// fill the result when a request is already open).
	if err := repo.Checkout(ctx, g.base); err != nil {
		res.Err = fmt.Errorf("checking out %s: %w", g.base, err)
		return w.results(ctx, ed, res)
	}
	dry := &groupEditor{layout: w.Layout, decisions: g.decisions}
	changed, err := dry.apply(ctx, repo.Dir())
	if err != nil {
		res.Err = err
		return w.results(ctx, dry, res)
	}
	if !changed || len(dry.applied) == 0 {
		// The base already has every value (merged, not yet deployed):
		// nothing to propose.
		pr.State = PRStateNone
		res.PullRequest = pr
		return w.results(ctx, dry, res)
	}
	open, err := prov.FindOpen(ctx, g.base, g.branch)
	if err != nil {
		return failAPI(fmt.Errorf("looking for an open pull request from %s: %w", g.branch, err))
	}
	if open != nil {
		pr.State, pr.Number, pr.URL = PRStateOpen, open.Number, open.URL
		res.PullRequest = pr
		return w.results(ctx, dry, res)
	}
	if w.DryRun {
		pr.State = PRStatePlanned
		res.PullRequest = pr
		return w.results(ctx, dry, res)
	}
	var message string
	req := git.CommitRequest{
		Branch: g.branch, Base: g.base, AllowForce: true, SignOff: w.SignOff,
		Apply:       func(dir string) (bool, error) { return ed.apply(ctx, dir) },
		MessageFunc: w.messageFunc(ctx, ed, &message),
		Publisher:   g.publish,
	}
	push, err := repo.CommitAndPush(ctx, req)
	res.Commit, res.Pushed, res.Attempts = push.Commit, push.Pushed, push.Attempts
	if err != nil {
		res.Err = fmt.Errorf("pushing pull request branch %s of %s: %w", g.branch, repo.URL(), err)
		return w.results(ctx, ed, res)
	}
	if !push.Pushed {
		pr.State = PRStateNone
		res.PullRequest = pr
		return w.results(ctx, ed, res)
	}
	title, body := forge.SplitMessage(message, "chore: update images")
	opened, err := prov.Open(ctx, forge.NewPullRequest{Head: g.branch, Base: g.base, Title: title, Body: body, Labels: g.pr.settings.Labels})
	if err != nil {
		return failAPI(fmt.Errorf("opening a pull request from %s into %s: %w", g.branch, g.base, err))
	}
	pr.Number, pr.URL = opened.Number, opened.URL
	pr.State = PRStateOpened
	if opened.Existed {
		pr.State = PRStateOpen
	} else {
		w.countPR(pr.Provider, PROutcomeOpened)
	}
	res.PullRequest = pr
	res.Warnings = append(res.Warnings, opened.Warnings...)
	res.Warnings = append(res.Warnings, w.supersede(ctx, prov, g, opened, keep, pr)...)
	return w.results(ctx, ed, res)
}

// supersede closes the other open requests of the group's target (older
// changes), with a comment naming the new one, and deletes their branches.
// Failures are warnings: the new request is open either way.
func (w *GitWriter) supersede(ctx context.Context, prov forge.Provider, g branchGroup, current forge.PullRequest, keep prKeep, pr *PullRequestResult) []string {
	var warnings []string
	others, err := prov.ListOpen(ctx, g.base, pullRequestBranchPrefix(g.pr.targetKey))
	if err != nil {
		return []string{fmt.Sprintf("older pull requests not closed: %v", err)}
	}
	kept := keep[prKeepKey(g.base, g.pr.targetKey)]
	for _, o := range others {
		if o.Head == current.Head || kept[o.Head] {
			continue
		}
		comment := fmt.Sprintf("Superseded by %s (#%d), which proposes a newer change for the same target. Closed by imagepilot; its branch %s is deleted.",
			current.URL, current.Number, o.Head)
		if err := prov.Close(ctx, o, comment); err != nil {
			w.countPR(pr.Provider, PROutcomeFailed)
			warnings = append(warnings, fmt.Sprintf("superseded pull request #%d not closed: %v", o.Number, err))
			continue
		}
		w.countPR(pr.Provider, PROutcomeClosed)
		pr.Superseded = append(pr.Superseded, o)
		if err := prov.DeleteBranch(ctx, o.Head); err != nil {
			warnings = append(warnings, fmt.Sprintf("branch %s of superseded pull request #%d not deleted: %v", o.Head, o.Number, err))
		}
	}
	return warnings
}
