package forge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRepoURL: repository URL parsing never panics, a derived API URL is
// an http(s) URL ending in a slash, and a repository path has at least two
// clean segments and no credentials.
func FuzzRepoURL(f *testing.F) {
	for _, s := range []string{"https://github.com/o/r.git", "git@gitlab.com:g/s/p.git", "ssh://git@h:22/o/r",
		"https://u:p@h/o/r", "h:", ":", "@:", "https://h", "file:///x/y", "https://[::1]:8/o/r", "a@b@c:d/e"} {
		f.Add(s, "")
	}
	f.Add("https://ghe/o/r", "https://api.ghe/")
	f.Fuzz(func(t *testing.T, repoURL, override string) {
		for _, p := range []string{GitHub, GitLab, Gitea} {
			api, err := APIBaseURL(p, repoURL, override)
			if err == nil && (!strings.HasSuffix(api, "/") || !(strings.HasPrefix(api, "https://") || strings.HasPrefix(api, "http://"))) {
				t.Fatalf("APIBaseURL(%s, %q, %q) = %q", p, repoURL, override, api)
			}
		}
		path, err := RepoPath(repoURL)
		if err != nil {
			return
		}
		parts := strings.Split(path, "/")
		if len(parts) < 2 || strings.HasSuffix(path, ".git") {
			t.Fatalf("RepoPath(%q) = %q", repoURL, path)
		}
		for _, s := range parts {
			if s == "" || s == "." || s == ".." {
				t.Fatalf("RepoPath(%q) = %q", repoURL, path)
			}
		}
	})
}

// FuzzSplitMessage: titles and bodies stay within upstream's limits and
// the title has no line break.
func FuzzSplitMessage(f *testing.F) {
	f.Add("build: x\n\nbody")
	f.Add("\n")
	f.Add(strings.Repeat("a", 300))
	f.Fuzz(func(t *testing.T, msg string) {
		title, body := SplitMessage(msg, "fallback")
		if title == "" || strings.Contains(title, "\n") || utf8.RuneCountInString(title) > MaxTitle || utf8.RuneCountInString(body) > MaxBody {
			t.Fatalf("SplitMessage(%q) = %q, %q", msg, title, body)
		}
	})
}
