package repomode_test

// Pull requests in repo mode: imagepilot reads an ImageUpdater with
// writeBackConfig.gitConfig.pullRequest from the repository, pushes a head
// branch to the real git server (git http-backend) and opens the request
// through a forge API. No GitHub, GitLab or Gitea server can run here: the
// API is forgetest's fake, which follows the documented REST shapes and is
// tied to the same bare repository (a head branch must exist to open a
// request, merging moves main, deleting a branch deletes the ref). For
// GitHub Enterprise and GitLab the fake is mounted under /api/ of the git
// server itself, so the API URL is derived from the repository URL as
// upstream derives it.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
	"github.com/imagepilot/imagepilot/test/infra"
)

// prEnv is env with the repository at project (owner/repo or nested
// groups) and a fake forge of kind.
func prSetup(t *testing.T, kind, project, forgeToken, prBlock string) (*env, *forgetest.Server) {
	t.Helper()
	fake := forgetest.NewHandler(t, kind, project, forgeToken)
	e := &env{}
	e.reg = infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryBasic})
	e.git = infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: "git", Password: "gitpw", API: fake})
	fake.URL = e.git.URL
	e.bare = e.git.RepoPath(project + ".git")
	e.repoURL = e.git.RepoURL(project + ".git")
	fake.BareRepo = e.bare
	files := kustomizeRepo(e)
	files["imagepilot/updater.yaml"] = strings.Replace(files["imagepilot/updater.yaml"],
		"      writeBackTarget: kustomization\n", "      writeBackTarget: kustomization\n"+prBlock, 1)
	infra.GitBareRepoFromFiles(t, e.bare, "main", files)
	e.conf = filepath.Join(t.TempDir(), "registries.conf")
	conf := fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n  credentials: env:TEST_REGISTRY_CREDS\n", e.reg.Host, e.reg.URL)
	if err := os.WriteFile(e.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_REGISTRY_CREDS", e.reg.Username+":"+e.reg.Password)
	t.Setenv("TEST_GIT_PASSWORD", "gitpw")
	e.cacheDir = t.TempDir()
	return e, fake
}

func (e *env) branches(t *testing.T) []string {
	t.Helper()
	out := strings.TrimSpace(infra.GitRun(t, e.bare, "for-each-ref", "--format=%(refname:short)", "refs/heads/"))
	return strings.Fields(out)
}

func (e *env) headBranches(t *testing.T) []string {
	var out []string
	for _, b := range e.branches(t) {
		if strings.HasPrefix(b, "image-updater-") {
			out = append(out, b)
		}
	}
	return out
}

func (e *env) show(t *testing.T, rev, path string) string {
	t.Helper()
	return infra.GitRun(t, e.bare, "show", rev+":"+path)
}

func creates(fake *forgetest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if strings.HasPrefix(r, "POST ") && (strings.HasSuffix(r, "/pulls") || strings.HasSuffix(r, "/merge_requests")) {
			n++
		}
	}
	return n
}

// TestRepoModePullRequestLifecycle: GitHub Enterprise (API derived as
// scheme://host/api/v3 from the repository URL) and GitLab with nested
// groups (API scheme://host, project group/sub/gitops): first request,
// quiet second cycle, plan, supersede by a newer tag, merged-then-quiet.
func TestRepoModePullRequestLifecycle(t *testing.T) {
	for _, tc := range []struct {
		kind, project, block, apiPath string
	}{
		{forgetest.GitHub, "team/gitops", "      pullRequest:\n        github: {}\n        labels: [dependencies]\n", "/api/v3/repos/team/gitops/pulls"},
		{forgetest.GitLab, "group/sub/gitops", "      pullRequest:\n        gitlab: {}\n        labels: [dependencies]\n", "/api/v4/projects/group%2Fsub%2Fgitops/merge_requests"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			e, fake := prSetup(t, tc.kind, tc.project, "gitpw", tc.block)
			e.push(t, "team/web", "1.0.0", "1.1.0")
			main := e.head(t)

			code, out, stderr := e.imagepilot(t, "plan")
			if code != 0 || !strings.Contains(out, "would open PR image-updater-") || len(e.headBranches(t)) != 0 || len(fake.PRs()) != 0 {
				t.Fatalf("plan exit %d\n%s\n%s", code, out, stderr)
			}

			code, out, stderr = e.imagepilot(t, "run", "--once")
			if code != 0 {
				t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
			}
			if e.head(t) != main {
				t.Fatal("main moved: pushed to the base instead of proposing")
			}
			heads := e.headBranches(t)
			if len(heads) != 1 || !strings.Contains(e.show(t, heads[0], "overlays/prod/kustomization.yaml"), `newTag: "1.1.0"`) {
				t.Fatalf("head branches %v", heads)
			}
			open := fake.Open()
			if len(open) != 1 || open[0].Head != heads[0] || open[0].Base != "main" || open[0].Title != "build: automatic update of web-prod" ||
				strings.Join(open[0].Labels, ",") != "dependencies" {
				t.Fatalf("requests %+v", fake.PRs())
			}
			found := false
			for _, r := range fake.Requests() {
				found = found || strings.HasPrefix(r, "POST "+tc.apiPath)
			}
			if !found {
				t.Fatalf("no create at %s: %v", tc.apiPath, fake.Requests())
			}
			if !strings.Contains(stderr, open[0].Head) || !strings.Contains(stderr, fmt.Sprintf("/%d", open[0].Number)) {
				t.Fatalf("the log does not carry the request:\n%s", stderr)
			}
			if strings.Contains(stderr, "gitpw") {
				t.Fatal("the log carries the token")
			}

			// Second cycle: the request is open; nothing pushed or opened.
			sha := infra.GitRun(t, e.bare, "rev-parse", heads[0])
			if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
				t.Fatalf("second run exit %d\n%s\n%s", code, out, stderr)
			}
			if infra.GitRun(t, e.bare, "rev-parse", heads[0]) != sha || creates(fake) != 1 || len(fake.PRs()) != 1 {
				t.Fatalf("second cycle pushed or opened: %v", fake.Requests())
			}
			code, out, _ = e.imagepilot(t, "plan")
			if code != 0 || !strings.Contains(out, fmt.Sprintf("PR #%d is open for this change", open[0].Number)) {
				t.Fatalf("plan with an open request:\n%s", out)
			}

			// A newer tag supersedes the request.
			e.push(t, "team/web", "1.2.0")
			if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
				t.Fatalf("third run exit %d\n%s\n%s", code, out, stderr)
			}
			prs := fake.PRs()
			if len(prs) != 2 || prs[0].State != "closed" || prs[1].State != "open" || len(prs[0].Comments) != 1 ||
				!strings.Contains(prs[0].Comments[0], fmt.Sprintf("/%d", prs[1].Number)) {
				t.Fatalf("after supersede %+v", prs)
			}
			if heads := e.headBranches(t); len(heads) != 1 || heads[0] != prs[1].Head {
				t.Fatalf("head branches after supersede %v (old one not deleted?)", heads)
			}

			// Merged: main has 1.2.0; the next cycle is quiet.
			fake.Merge(prs[1].Number)
			main = e.head(t)
			before := len(fake.Requests())
			if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
				t.Fatalf("run after merge exit %d\n%s\n%s", code, out, stderr)
			}
			if e.head(t) != main || len(fake.Requests()) != before || len(fake.Open()) != 0 {
				t.Fatalf("after merge: main moved %v, API calls %v", e.head(t) != main, fake.Requests()[before:])
			}
		})
	}
}

// TestRepoModePullRequestFailuresFailOnlyTheTarget: a token the forge
// refuses, and a forge that fails to create: exit 4, the error names the
// HTTP status and not the token, main never moves.
func TestRepoModePullRequestFailuresFailOnlyTheTarget(t *testing.T) {
	for name, tc := range map[string]struct {
		token, fail string
		status      int
		want        string
	}{
		"bad token":         {token: "another-token", want: "HTTP 401"},
		"server error":      {token: "gitpw", fail: "create", status: 502, want: "HTTP 502"},
		"forbidden to list": {token: "gitpw", fail: "list", status: 403, want: "HTTP 403"},
	} {
		t.Run(name, func(t *testing.T) {
			e, fake := prSetup(t, forgetest.GitHub, "team/gitops", tc.token, "      pullRequest:\n        github: {}\n")
			if tc.fail != "" {
				fake.Fail(tc.fail, tc.status)
			}
			e.push(t, "team/web", "1.0.0", "1.1.0")
			main := e.head(t)
			code, out, stderr := e.imagepilot(t, "run", "--once")
			if code != 4 || e.head(t) != main || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "gitpw") || len(fake.Open()) != 0 {
				t.Fatalf("run exit %d main moved %v\n%s\n%s", code, e.head(t) != main, out, stderr)
			}
		})
	}
}

// TestRepoModeGiteaWithAPIURL: Gitea (or Forgejo) on a separate API host
// given by apiURL.
func TestRepoModeGiteaWithAPIURL(t *testing.T) {
	api := forgetest.New(t, forgetest.Gitea, "team/gitops", "gitpw")
	e, _ := prSetup(t, forgetest.GitHub, "team/gitops", "unused", fmt.Sprintf("      pullRequest:\n        gitea: {apiURL: %q}\n", api.URL))
	api.BareRepo = e.bare
	e.push(t, "team/web", "1.0.0", "1.1.0")
	main := e.head(t)
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	open := api.Open()
	if e.head(t) != main || len(open) != 1 || !strings.HasPrefix(open[0].Head, "image-updater-") {
		t.Fatalf("gitea requests %+v", api.PRs())
	}
}

// TestRepoModePullRequestConfigErrors: two providers, a write-branch
// template: a configuration error naming the field; nothing is pushed.
func TestRepoModePullRequestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ block, want string }{
		"two providers": {"      pullRequest:\n        github: {}\n        gitlab: {}\n", "exactly one of github, gitlab or gitea"},
		"write branch":  {"      branch: main:update-{{.SHA256}}\n      pullRequest:\n        github: {}\n", "plain base branch"},
	} {
		t.Run(name, func(t *testing.T) {
			e, fake := prSetup(t, forgetest.GitHub, "team/gitops", "gitpw", tc.block)
			e.push(t, "team/web", "1.0.0", "1.1.0")
			main := e.head(t)
			code, out, stderr := e.imagepilot(t, "run", "--once")
			if code != 4 || e.head(t) != main || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "spec.writeBackConfig.gitConfig.pullRequest") ||
				len(e.headBranches(t)) != 0 || len(fake.Requests()) != 0 {
				t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
			}
		})
	}
}
