package writeback

import (
	"errors"
	"fmt"

	"github.com/imagepilot/imagepilot/internal/forge"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/target"
)

// Commit methods of GitWriter.CommitMethod (upstream's
// --git-commit-method values).
const (
	// CommitMethodGit commits in the working copy and pushes with the git
	// command line (the default).
	CommitMethodGit = "git"
	// CommitMethodAPI creates the commit through GitHub's Git Data API
	// with a GitHub App installation token: GitHub signs it ("Verified").
	CommitMethodAPI = "api"
)

// ErrCommitMethod marks a commit method that cannot be used for a target
// (the API method without GitHub App credentials).
var ErrCommitMethod = errors.New("git commit method")

// ValidateCommitMethod checks a commit method setting ("" is git).
func ValidateCommitMethod(m string) error {
	switch m {
	case "", CommitMethodGit, CommitMethodAPI:
		return nil
	}
	return fmt.Errorf("commit method %q: want git or api", m)
}

// APICommitterFactory builds the publisher of API commits
// (forge.NewGitHubCommitter when nil; tests swap it).
type APICommitterFactory func(forge.Config) (git.Publisher, error)

// publisher returns the API publisher of a group's commit, nil for the
// git method. With the API method, credentials that are not a GitHub App
// installation token fail the group: the signed commit asked for cannot be
// made, and is never replaced by an unsigned one.
func (w *GitWriter) publisher(g branchGroup, repoURL string, creds git.Credentials) (git.Publisher, error) {
	if w.CommitMethod == "" || w.CommitMethod == CommitMethodGit {
		return nil, nil
	}
	if err := ValidateCommitMethod(w.CommitMethod); err != nil {
		return nil, err
	}
	if !creds.GitHubApp || creds.Password == "" {
		return nil, fmt.Errorf("%w: api needs GitHub App credentials (githubAppID, githubAppInstallationID, githubAppPrivateKey in the repository secret) for %s; these credentials are not a GitHub App, and imagepilot does not fall back to an unsigned git commit",
			ErrCommitMethod, git.RedactURL(repoURL))
	}
	apiRepo := repoURL
	if len(g.decisions) > 0 {
		apiRepo = forgeURL(repoURL, g.decisions[0].Target)
	}
	p := prTarget{settings: &target.PullRequest{Provider: forge.GitHub, APIURL: creds.GitHubAPIURL, Field: "git commit method api"}, apiRepoURL: apiRepo}
	hc, err := w.forgeHTTPClient(p, creds)
	if err != nil {
		return nil, err
	}
	cfg := forge.Config{Provider: forge.GitHub, RepoURL: apiRepo, APIURL: creds.GitHubAPIURL, Token: creds.Password, HTTPClient: hc}
	if w.APICommitter != nil {
		return w.APICommitter(cfg)
	}
	c, err := forge.NewGitHubCommitter(cfg)
	if err != nil {
		return nil, fmt.Errorf("git commit method api: %w", err)
	}
	return c, nil
}
