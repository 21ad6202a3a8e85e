package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Provider names.
const (
	GitHub = "github"
	GitLab = "gitlab"
	Gitea  = "gitea"
)

// Limits upstream applies to titles and bodies (in runes).
const (
	MaxTitle = 255
	MaxBody  = 65536
)

// DefaultTimeout bounds every API request when Config.HTTPClient has none.
const DefaultTimeout = 30 * time.Second

// ErrConfig marks a repository URL, API URL or token a provider cannot be
// built from.
var ErrConfig = errors.New("pull request configuration")

// PullRequest is an open (or just opened) pull or merge request.
type PullRequest struct {
	// Number is the request's number (GitLab: its IID).
	Number int64
	// URL is the request's web page.
	URL string
	// Head and Base are the source and target branches.
	Head, Base string
	// Title is the request's title.
	Title string
	// Existed reports that Open found the request already open instead of
	// creating it.
	Existed bool
	// Warnings lists what went wrong without failing the request (labels
	// that could not be set).
	Warnings []string
}

// NewPullRequest describes a request to open.
type NewPullRequest struct {
	// Head is the branch with the change, in the same repository; Base the
	// branch it is proposed for.
	Head, Base string
	// Title and Body describe the change (see SplitMessage).
	Title, Body string
	// Labels are put on the request.
	Labels []string
}

// Provider opens and closes pull requests in one repository.
type Provider interface {
	// Name is GitHub, GitLab or Gitea.
	Name() string
	// FindOpen returns the open request from head into base, or nil.
	FindOpen(ctx context.Context, base, head string) (*PullRequest, error)
	// ListOpen returns every open request into base whose head branch
	// starts with headPrefix (all pages).
	ListOpen(ctx context.Context, base, headPrefix string) ([]PullRequest, error)
	// Open opens a request. When the forge answers that one already exists
	// for the same head and base, Open returns that one with Existed set.
	Open(ctx context.Context, pr NewPullRequest) (PullRequest, error)
	// Close comments on an open request (when comment is not empty) and
	// closes it.
	Close(ctx context.Context, pr PullRequest, comment string) error
	// DeleteBranch deletes a branch; a branch that is already gone is not
	// an error.
	DeleteBranch(ctx context.Context, branch string) error
}

// Config builds a Provider.
type Config struct {
	// Provider is GitHub, GitLab or Gitea.
	Provider string
	// RepoURL is the repository's Git URL (HTTPS, ssh:// or scp-like).
	RepoURL string
	// APIURL overrides the API base URL derived from RepoURL.
	APIURL string
	// Token authenticates API requests.
	Token string
	// HTTPClient sends API requests; nil uses a client with DefaultTimeout
	// and the system's TLS roots.
	HTTPClient *http.Client
}

// New builds the Provider cfg names.
func New(cfg Config) (Provider, error) {
	if cfg.Token == "" {
		return nil, fmt.Errorf("%w: %s needs an API token (the write-back credentials' password) to open pull requests", ErrConfig, cfg.Provider)
	}
	api, err := APIBaseURL(cfg.Provider, cfg.RepoURL, cfg.APIURL)
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
	switch cfg.Provider {
	case GitHub:
		return newGitHub(api, path, cfg.Token, hc)
	case GitLab:
		return newGitLab(api, path, cfg.Token, hc)
	case Gitea:
		return newGitea(api, path, cfg.Token, hc)
	}
	return nil, fmt.Errorf("%w: unknown provider %q (want github, gitlab or gitea)", ErrConfig, cfg.Provider)
}

// APIBaseURL is the API base URL for a repository: override when set, else
// derived as upstream does. GitHub: https://api.github.com/ for
// github.com, scheme://host/api/v3/ for any other host (GitHub Enterprise
// Server). GitLab and Gitea: scheme://host (their clients add /api/v4 and
// /api/v1). An ssh:// or scp-like repository URL derives https.
func APIBaseURL(provider, repoURL, override string) (string, error) {
	if override != "" {
		u, err := url.Parse(override)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return "", fmt.Errorf("%w: API URL %q is not an http(s) URL without credentials", ErrConfig, redactUserinfo(override))
		}
		return strings.TrimSuffix(u.String(), "/") + "/", nil
	}
	scheme, host, _, err := splitRepoURL(repoURL)
	if err != nil {
		return "", err
	}
	switch provider {
	case GitHub:
		if strings.EqualFold(host, "github.com") || strings.EqualFold(host, "www.github.com") {
			return "https://api.github.com/", nil
		}
		return scheme + "://" + host + "/api/v3/", nil
	case GitLab, Gitea:
		return scheme + "://" + host + "/", nil
	}
	return "", fmt.Errorf("%w: unknown provider %q (want github, gitlab or gitea)", ErrConfig, provider)
}

// RepoPath is the repository's path on the forge, without a leading slash
// and a .git suffix: "owner/repo", or "group/subgroup/project" on GitLab.
func RepoPath(repoURL string) (string, error) {
	_, _, path, err := splitRepoURL(repoURL)
	if err != nil {
		return "", err
	}
	parts := strings.Split(path, "/")
	if len(parts) < 2 {
		return "", fmt.Errorf("%w: repository URL %q has no owner/repository path", ErrConfig, redactUserinfo(repoURL))
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("%w: repository URL %q has an empty or relative path segment", ErrConfig, redactUserinfo(repoURL))
		}
	}
	return path, nil
}

// splitRepoURL returns the API scheme, host (with port) and path of a Git
// URL: https/http URLs keep their scheme, ssh:// and scp-like URLs give
// https (forge APIs are HTTP only) and drop an SSH port.
func splitRepoURL(repoURL string) (scheme, host, path string, err error) {
	bad := func(why string) (string, string, string, error) {
		return "", "", "", fmt.Errorf("%w: repository URL %q %s", ErrConfig, redactUserinfo(repoURL), why)
	}
	s := strings.TrimSpace(repoURL)
	if s == "" {
		return bad("is empty")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return bad("does not parse")
		}
		switch u.Scheme {
		case "https", "http":
			scheme, host = u.Scheme, u.Host
		case "ssh", "git+ssh":
			scheme, host = "https", u.Hostname()
		default:
			return bad("has a scheme pull requests cannot use (want https, http or ssh)")
		}
		path = u.Path
	} else {
		// scp-like: [user@]host:path
		at := strings.LastIndex(s[:max(strings.Index(s, ":"), 0)], "@")
		hp := s[at+1:]
		h, p, ok := strings.Cut(hp, ":")
		if !ok || h == "" || strings.Contains(h, "/") {
			return bad("is neither a URL nor host:path")
		}
		scheme, host, path = "https", h, p
	}
	if host == "" {
		return bad("has no host")
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	return scheme, host, path, nil
}

// SplitMessage turns a commit message into a request title (its first
// line, trimmed) and body (the rest, trimmed), cut at MaxTitle and MaxBody
// runes as upstream does. An empty first line gives fallback as title.
func SplitMessage(msg, fallback string) (title, body string) {
	first, rest, _ := strings.Cut(msg, "\n")
	title = strings.TrimSpace(first)
	if title == "" {
		title = fallback
	}
	body = strings.TrimSpace(rest)
	return truncateRunes(title, MaxTitle), truncateRunes(body, MaxBody)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Error is a failed API call.
type Error struct {
	// Provider and Op say what was asked ("open pull request").
	Provider, Op string
	// StatusCode is the HTTP status (0 when no response arrived).
	StatusCode int
	// Err is the client's error, with the token removed.
	Err error
}

// Error describes the failure.
func (e *Error) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s: %s: HTTP %d: %v", e.Provider, e.Op, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Provider, e.Op, e.Err)
}

// Unwrap returns the client's error.
func (e *Error) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of a failed API call, or 0.
func StatusOf(err error) int {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.StatusCode
	}
	return 0
}

// apiError wraps a client error; secrets are removed from its text.
func apiError(provider, op string, status int, err error, secrets ...string) error {
	return &Error{Provider: provider, Op: op, StatusCode: status, Err: redactErr(err, secrets...)}
}

// redacted is an error whose text had secrets removed; it keeps the
// original's chain for errors.Is (context deadlines, for example).
type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

func redactErr(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "<redacted>")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redacted{msg: msg, err: err}
}

// redactUserinfo hides the user information of a URL in messages.
func redactUserinfo(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User("redacted")
		return u.String()
	}
	if i := strings.Index(s, "@"); i >= 0 && strings.Contains(s, "://") {
		return s[:strings.Index(s, "://")+3] + "redacted@" + s[i+1:]
	}
	return s
}

// branchHasPrefix filters heads for ListOpen.
func branchHasPrefix(head, prefix string) bool { return strings.HasPrefix(head, prefix) }

// adoptExisting answers a create call that the forge refused because a
// request for n.Head already exists (GitHub's 422, GitLab's and Gitea's
// 409): the open request, marked Existed. When the forge lists none,
// notListed says so.
func adoptExisting(ctx context.Context, p interface {
	FindOpen(ctx context.Context, base, head string) (*PullRequest, error)
}, n NewPullRequest, notListed func() error) (PullRequest, error) {
	found, err := p.FindOpen(ctx, n.Base, n.Head)
	if err != nil {
		return PullRequest{}, err
	}
	if found == nil {
		return PullRequest{}, notListed()
	}
	found.Existed = true
	return *found, nil
}
