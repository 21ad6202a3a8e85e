package target

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// pullRequestFor reads the pullRequest block that applies to ref (the
// reference's replaces the object's as a whole). It is an error unless
// exactly one provider is set, the method is git and the branch setting is
// a plain branch (the head branch is imagepilot's, as upstream's).
func pullRequestFor(spec *v1alpha1.ImageUpdaterSpec, ref *v1alpha1.ApplicationRef, refPath string, cfg v1alpha1.WriteBackConfig, wb WriteBack) (*PullRequest, error) {
	if cfg.GitConfig == nil || cfg.GitConfig.PullRequest == nil {
		return nil, nil
	}
	field := pullRequestField(spec, ref, refPath)
	in := cfg.GitConfig.PullRequest
	pr := &PullRequest{Labels: append([]string(nil), in.Labels...), Field: field}
	var set []string
	if in.GitHub != nil {
		set = append(set, ProviderGitHub)
		pr.Provider, pr.APIURL = ProviderGitHub, in.GitHub.APIURL
	}
	if in.GitLab != nil {
		set = append(set, ProviderGitLab)
		pr.Provider, pr.APIURL = ProviderGitLab, in.GitLab.APIURL
	}
	if in.Gitea != nil {
		set = append(set, ProviderGitea)
		pr.Provider, pr.APIURL = ProviderGitea, in.Gitea.APIURL
	}
	if len(set) != 1 {
		got := "none"
		if len(set) > 1 {
			got = strings.Join(set, ", ")
		}
		return nil, fmt.Errorf("%w: %s: exactly one of github, gitlab or gitea must be set, got %s", ErrConfig, field, got)
	}
	if pr.APIURL != "" {
		u, err := url.Parse(pr.APIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("%w: %s.%s.apiURL: %q is not an http(s) URL without credentials", ErrConfig, field, pr.Provider, redactURL(pr.APIURL))
		}
	}
	for i, l := range pr.Labels {
		if strings.TrimSpace(l) == "" {
			return nil, fmt.Errorf("%w: %s.labels[%d]: empty label", ErrConfig, field, i)
		}
	}
	if wb.Method != MethodGit {
		return nil, fmt.Errorf("%w: %s: pull requests need the git write-back method, not %q", ErrConfig, field, wb.Method)
	}
	if strings.Contains(wb.Branch, ":") {
		return nil, fmt.Errorf("%w: %s: pull requests need a plain base branch in gitConfig.branch, not the write-branch form %q (the head branch is image-updater-<target key>-<change hash>)",
			ErrConfig, field, wb.Branch)
	}
	return pr, nil
}

// pullRequestField names the pullRequest block that applies to ref.
func pullRequestField(spec *v1alpha1.ImageUpdaterSpec, ref *v1alpha1.ApplicationRef, refPath string) string {
	const field = ".writeBackConfig.gitConfig.pullRequest"
	if c := ref.WriteBackConfig; c != nil && c.GitConfig != nil && c.GitConfig.PullRequest != nil {
		return refPath + field
	}
	if c := spec.WriteBackConfig; c != nil && c.GitConfig != nil && c.GitConfig.PullRequest != nil {
		return "spec" + field
	}
	return "spec" + field
}

// redactURL drops the user information of a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "@"); i >= 0 {
			return "<redacted>@" + s[i+1:]
		}
		return s
	}
	u.User = url.User("redacted")
	return u.String()
}
