package forge

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestListOpenFilters: ListOpen keeps only requests into the base whose
// head has the prefix and lives in this repository, however each forge
// tells a fork apart (GitHub's head.repo.full_name, GitLab's
// source_project_id, Gitea's head.repo.full_name, which may be absent).
func TestListOpenFilters(t *testing.T) {
	gh := func(n int, head, base, repo string) string {
		return fmt.Sprintf(`{"number":%d,"head":{"ref":%q,"repo":{"full_name":%q}},"base":{"ref":%q}}`, n, head, repo, base)
	}
	gl := func(n int, head, base string, src, dst int) string {
		return fmt.Sprintf(`{"iid":%d,"source_branch":%q,"target_branch":%q,"source_project_id":%d,"target_project_id":%d}`, n, head, base, src, dst)
	}
	gtNoRepo := func(n int, head, base string) string {
		return fmt.Sprintf(`{"number":%d,"head":{"ref":%q},"base":{"ref":%q}}`, n, head, base)
	}
	tests := []struct {
		kind, path string
		items      []string
		want       string
	}{
		{GitHub, "GET " + ghPulls, []string{
			gh(1, "image-updater/a", "main", "team/app"),
			gh(2, "image-updater/b", "main", "Team/App"), // names compare case-insensitively
			gh(3, "image-updater/c", "main", "fork/app"),
			gh(4, "feature/x", "main", "team/app"),
			gh(5, "image-updater/d", "release", "team/app"), // the forge filtered by base; the answer still is checked
		}, "1 2"},
		{GitLab, "GET " + glMRs, []string{
			gl(1, "image-updater/a", "main", 7, 7),
			gl(2, "image-updater/b", "main", 0, 0), // older GitLab without project ids
			gl(3, "image-updater/c", "main", 8, 7), // from a fork
			gl(4, "other/x", "main", 7, 7),
			gl(5, "image-updater/d", "release", 7, 7),
		}, "1 2"},
		{Gitea, "GET " + gtPulls, []string{
			gh(1, "image-updater/a", "main", "team/app"),
			gtNoRepo(2, "image-updater/b", "main"), // a deleted head repository
			gh(3, "image-updater/c", "main", "fork/app"),
			gh(4, "image-updater-not-ours", "main", "team/app"),
			gh(5, "image-updater/d", "release", "team/app"),
			`{"number":6,"base":{"ref":"main"}}`, // no head at all
		}, "1 2"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			project := "team/app"
			if tt.kind == GitLab {
				project = "group/sub/app"
			}
			_, p := wireProvider(t, tt.kind, project, map[string]wireAnswer{tt.path: {200, "[" + strings.Join(tt.items, ",") + "]", nil}})
			got, err := p.ListOpen(context.Background(), "main", "image-updater/")
			if err != nil {
				t.Fatal(err)
			}
			var nums []string
			for _, pr := range got {
				nums = append(nums, fmt.Sprint(pr.Number))
			}
			if strings.Join(nums, " ") != tt.want {
				t.Fatalf("kept %v, want %s", nums, tt.want)
			}
		})
	}
}

// TestFindOpenChecksTheAnswer: a forge that ignores the head/base filter
// (Gitea has none; old servers drop unknown parameters) does not make
// FindOpen return another branch's request.
func TestFindOpenChecksTheAnswer(t *testing.T) {
	for _, tt := range []struct{ kind, path, body string }{
		{GitHub, "GET " + ghPulls, `[{"number":1,"head":{"ref":"image-updater/other"},"base":{"ref":"main"}},{"number":2,"head":{"ref":"image-updater/a1"},"base":{"ref":"release"}}]`},
		{GitLab, "GET " + glMRs, `[{"iid":1,"source_branch":"image-updater/other","target_branch":"main"},{"iid":2,"source_branch":"image-updater/a1","target_branch":"release"}]`},
		{Gitea, "GET " + gtPulls, `[{"number":1,"head":{"ref":"image-updater/other"},"base":{"ref":"main"}},{"number":2,"head":{"ref":"image-updater/a1","repo":{"full_name":"fork/app"}},"base":{"ref":"main"}}]`},
	} {
		project := "team/app"
		if tt.kind == GitLab {
			project = "group/sub/app"
		}
		_, p := wireProvider(t, tt.kind, project, map[string]wireAnswer{tt.path: {200, tt.body, nil}})
		got, err := p.FindOpen(context.Background(), "main", "image-updater/a1")
		if err != nil || got != nil {
			t.Errorf("%s: FindOpen = %+v, %v; want none", tt.kind, got, err)
		}
	}
}

func TestGitHubURLs(t *testing.T) {
	for _, tc := range []struct {
		repo, override, base, upload string
	}{
		{"https://github.com/team/app.git", "", "https://api.github.com/", "https://uploads.github.com/"},
		{"git@github.com:team/app.git", "", "https://api.github.com/", "https://uploads.github.com/"},
		{"https://ghe.example.com/team/app.git", "", "https://ghe.example.com/api/v3/", "https://ghe.example.com/api/uploads/"},
		{"https://ghe.example.com:8443/team/app.git", "", "https://ghe.example.com:8443/api/v3/", "https://ghe.example.com:8443/api/uploads/"},
		{"https://ghe.example.com/team/app.git", "https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", "https://ghe.example.com/api/uploads/"},
	} {
		p, err := New(Config{Provider: GitHub, RepoURL: tc.repo, APIURL: tc.override, Token: "t"})
		if err != nil {
			t.Fatal(err)
		}
		c := p.(*gitHub).c
		if c.BaseURL() != tc.base || c.UploadURL() != tc.upload {
			t.Errorf("%s (API %q): base %s, upload %s; want %s, %s", tc.repo, tc.override, c.BaseURL(), c.UploadURL(), tc.base, tc.upload)
		}
		if g := p.(*gitHub); g.owner != "team" || g.repo != "app" {
			t.Errorf("%s: owner %q repo %q", tc.repo, g.owner, g.repo)
		}
	}
}

func TestNewConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Provider: Gitea, RepoURL: "https://gitea.example/a/b/c", Token: "t"}, "not owner/repository"},
		{Config{Provider: "bitbucket", RepoURL: "https://bitbucket.org/a/b", APIURL: "https://api.bitbucket.org", Token: "t"}, "unknown provider"},
		{Config{Provider: GitLab, RepoURL: "https://gitlab.example/only", Token: "t"}, "no owner/repository path"},
		{Config{Provider: GitLab, RepoURL: "https://gitlab.example/g/p", APIURL: "https://u:secret-pw@gitlab.example", Token: "t"}, "without credentials"},
		{Config{Provider: GitHub, RepoURL: "ftp://gh.example/a/b", Token: "t"}, "scheme"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret-pw") {
			t.Errorf("New(%+v) = %v, want an error saying %q", tc.cfg, err, tc.want)
		}
	}
	// GitLab takes nested groups as they are.
	p, err := New(Config{Provider: GitLab, RepoURL: "git@gitlab.example:a/b/c/d.git", Token: "t"})
	if err != nil || p.(*gitLab).project != "a/b/c/d" || p.(*gitLab).c.BaseURL().String() != "https://gitlab.example/api/v4/" {
		t.Errorf("GitLab nested groups: %v", err)
	}
}

func TestRedactUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@host/o/r":   "https://redacted@host/o/r",
		"https://token@host/o/r":     "https://redacted@host/o/r",
		"https://host/o/r":           "https://host/o/r",
		"git@github.com:o/r.git":     "git@github.com:o/r.git", // a user name, no secret
		"https://u:p w@host/%zz":     "https://redacted@host/%zz",
		"ssh://git:pw@host:22/o/r":   "ssh://redacted@host:22/o/r",
		"not a url but has @ inside": "not a url but has @ inside",
	} {
		if got := redactUserinfo(in); got != want {
			t.Errorf("redactUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}
