package writeback

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/imagepilot/imagepilot/internal/forge"
	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

type fixedCreds git.Credentials

func (f fixedCreds) GitCredentials(context.Context, string, string) (git.Credentials, error) {
	return git.Credentials(f), nil
}

type prCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *prCounter) PullRequest(provider, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[provider+"/"+outcome]++
}

func (c *prCounter) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

type prFixture struct {
	t       *testing.T
	bare    string
	srv     *forgetest.Server
	w       *GitWriter
	metrics *prCounter
	repoURL string
}

func newPRFixture(t *testing.T, kind, project string) *prFixture {
	bare := bareRepo(t, map[string]string{"web/values.yaml": "web:\n  repository: reg/web\n  tag: v1\n"})
	srv := forgetest.New(t, kind, project, "tok-123456")
	srv.BareRepo = bare
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	m := &prCounter{}
	w := &GitWriter{Git: mgr, Repository: bare, Credentials: fixedCreds{Username: "x", Password: "tok-123456"}, PullRequests: m}
	return &prFixture{t: t, bare: bare, srv: srv, w: w, metrics: m, repoURL: srv.URL + "/" + project + ".git"}
}

func (f *prFixture) decision(provider, old, next string) updater.Decision {
	d := helmUpdate(f.t, "web", "reg/web", "web", "web", old, next)
	d.Target.Source.RepoURL, d.Target.Source.TargetRevision = f.repoURL, "main"
	d.Target.WriteBack.PullRequest = &target.PullRequest{Provider: provider, Labels: []string{"deps"}, Field: "spec.writeBackConfig.gitConfig.pullRequest"}
	return d
}

func (f *prFixture) apply(ds ...updater.Decision) GroupResult {
	f.t.Helper()
	res := f.w.Apply(context.Background(), ds)
	if len(res) != 1 {
		f.t.Fatalf("results %+v, want one", res)
	}
	return res[0]
}

func (f *prFixture) branches() string {
	return gitCmd(f.t, f.bare, "for-each-ref", "--format=%(refname:short)", "refs/heads/")
}

func TestPullRequestLifecycle(t *testing.T) {
	for _, tc := range []struct{ kind, project string }{
		{forgetest.GitHub, "team/app"}, {forgetest.GitLab, "group/sub/app"}, {forgetest.Gitea, "team/app"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			f := newPRFixture(t, tc.kind, tc.project)
			f.srv.Labels["deps"] = 4
			mainHead := gitCmd(t, f.bare, "rev-parse", "main")

			// First cycle: the head branch is pushed and the request opened.
			d2 := f.decision(tc.kind, "v1", "v2")
			r := f.apply(d2)
			if r.Err != nil || r.PullRequest == nil || r.PullRequest.State != PRStateOpened || !r.Pushed {
				t.Fatalf("first cycle %+v", r)
			}
			head := r.Branch
			key := f.w.Layout.TargetKey(d2.Target)
			if !strings.HasPrefix(head, "image-updater-"+key+"-") || len(head) != len("image-updater-")+8+1+64 {
				t.Fatalf("head branch %q", head)
			}
			if gitCmd(t, f.bare, "rev-parse", "main") != mainHead {
				t.Fatal("the base branch moved")
			}
			if got := gitCmd(t, f.bare, "show", head+":web/values.yaml"); !strings.Contains(got, "tag: v2") {
				t.Fatalf("head branch content:\n%s", got)
			}
			open := f.srv.Open()
			if len(open) != 1 || open[0].Head != head || open[0].Base != "main" || open[0].Title != "build: automatic update of web" ||
				!strings.Contains(open[0].Body, "updates image reg/web tag 'v1' to 'v2'") || strings.Join(open[0].Labels, ",") != "deps" {
				t.Fatalf("open requests %+v", open)
			}
			if r.PullRequest.URL == "" || r.PullRequest.Number != open[0].Number || f.metrics.get(tc.kind+"/opened") != 1 {
				t.Fatalf("result %+v metrics %v", r.PullRequest, f.metrics.n)
			}

			// Second cycle, same change: nothing pushed, nothing opened.
			headSHA := gitCmd(t, f.bare, "rev-parse", head)
			r = f.apply(f.decision(tc.kind, "v1", "v2"))
			if r.Err != nil || r.PullRequest.State != PRStateOpen || r.Pushed || r.PullRequest.Number != open[0].Number {
				t.Fatalf("second cycle %+v", r)
			}
			if gitCmd(t, f.bare, "rev-parse", head) != headSHA || len(f.srv.PRs()) != 1 {
				t.Fatal("second cycle pushed or opened again")
			}

			// A newer version supersedes the open request.
			r = f.apply(f.decision(tc.kind, "v1", "v3"))
			if r.Err != nil || r.PullRequest.State != PRStateOpened || len(r.PullRequest.Superseded) != 1 || len(r.Warnings) != 0 {
				t.Fatalf("supersede cycle %+v", r)
			}
			prs := f.srv.PRs()
			if prs[0].State != "closed" || len(prs[0].Comments) != 1 || !strings.Contains(prs[0].Comments[0], r.PullRequest.URL) {
				t.Fatalf("old request %+v", prs[0])
			}
			if b := f.branches(); strings.Contains(b, head) || !strings.Contains(b, r.Branch) {
				t.Fatalf("branches after supersede:\n%s", b)
			}
			if f.metrics.get(tc.kind+"/closed") != 1 || f.metrics.get(tc.kind+"/opened") != 2 {
				t.Fatalf("metrics %v", f.metrics.n)
			}

			// Merged, not yet deployed: the base has the change; quiet.
			f.srv.Merge(prs[1].Number)
			before := len(f.srv.Requests())
			r = f.apply(f.decision(tc.kind, "v1", "v3"))
			if r.Err != nil || r.PullRequest.State != PRStateNone || r.Pushed {
				t.Fatalf("after merge %+v", r)
			}
			if n := len(f.srv.Requests()); n != before {
				t.Fatalf("after merge %d API calls: %v", n-before, f.srv.Requests()[before:])
			}
		})
	}
}

func TestPullRequestFailuresNeverPushTheBase(t *testing.T) {
	for _, tc := range []struct {
		name      string
		creds     git.Credentials
		fail      string
		status    int
		wantErr   string
		headPushd bool
	}{
		{name: "bad token", creds: git.Credentials{Password: "wrong-token-xyz"}, wantErr: "HTTP 401"},
		{name: "ssh only", creds: git.Credentials{SSHPrivateKey: []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n")}, wantErr: "SSH-only"},
		{name: "no credentials", wantErr: "no password or token"},
		{name: "list forbidden", creds: git.Credentials{Password: "tok-123456"}, fail: "list", status: http.StatusForbidden, wantErr: "HTTP 403"},
		{name: "create 422", creds: git.Credentials{Password: "tok-123456"}, fail: "create", status: http.StatusUnprocessableEntity, wantErr: "HTTP 422", headPushd: true},
		{name: "create 503", creds: git.Credentials{Password: "tok-123456"}, fail: "create", status: http.StatusServiceUnavailable, wantErr: "HTTP 503", headPushd: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPRFixture(t, forgetest.GitHub, "team/app")
			f.w.Credentials = fixedCreds(tc.creds)
			if tc.fail != "" {
				f.srv.Fail(tc.fail, tc.status)
			}
			mainHead := gitCmd(t, f.bare, "rev-parse", "main")
			r := f.apply(f.decision(forgetest.GitHub, "v1", "v2"))
			if r.Err == nil || !strings.Contains(r.Err.Error(), tc.wantErr) || strings.Contains(r.Err.Error(), "tok-123456") || strings.Contains(r.Err.Error(), "wrong-token-xyz") {
				t.Fatalf("err %v, want %q without the token", r.Err, tc.wantErr)
			}
			if gitCmd(t, f.bare, "rev-parse", "main") != mainHead {
				t.Fatal("the base branch moved")
			}
			if pushed := strings.Contains(f.branches(), "image-updater-"); pushed != tc.headPushd {
				t.Fatalf("head branch pushed=%v, want %v", pushed, tc.headPushd)
			}
			if len(f.srv.Open()) != 0 {
				t.Fatal("a request was opened")
			}
			if failed := FailedApps([]GroupResult{r}); !failed[target.AppRef{Namespace: "argocd", Name: "web"}] {
				t.Fatal("the application is not counted as failed")
			}
		})
	}
}

func TestPullRequestRecognisesExistingRequests(t *testing.T) {
	f := newPRFixture(t, forgetest.GitHub, "team/app")
	d := f.decision(forgetest.GitHub, "v1", "v2")
	head, err := RenderBranch(PullRequestBranchTemplate, branchData(d.Target, f.w.Layout, []updater.Decision{d}))
	if err != nil {
		t.Fatal(err)
	}
	// Opened by upstream (same name), and an older one of ours, and an
	// unrelated one.
	n := f.srv.Add(forgetest.PR{Head: head, Base: "main", Title: "by argocd-image-updater"})
	f.srv.Add(forgetest.PR{Head: "feature-x", Base: "main", Title: "unrelated"})
	r := f.apply(d)
	if r.Err != nil || r.PullRequest.State != PRStateOpen || r.PullRequest.Number != n || r.Pushed {
		t.Fatalf("result %+v", r)
	}
	if strings.Contains(f.branches(), "image-updater-") {
		t.Fatal("pushed although the request is open")
	}
}

func TestPullRequestAlreadyExistsOnCreate(t *testing.T) {
	// The list does not show the request (eventual consistency), the create
	// answers 422 "already exists": the existing one is taken.
	f := newPRFixture(t, forgetest.GitHub, "team/app")
	d := f.decision(forgetest.GitHub, "v1", "v2")
	var calls int
	f.w.Forge = func(cfg forge.Config) (forge.Provider, error) {
		p, err := forge.New(cfg)
		return &hideFirstFind{Provider: p, calls: &calls}, err
	}
	head, _ := RenderBranch(PullRequestBranchTemplate, branchData(d.Target, f.w.Layout, []updater.Decision{d}))
	n := f.srv.Add(forgetest.PR{Head: head, Base: "main", Title: "t"})
	r := f.apply(d)
	if r.Err != nil || r.PullRequest.State != PRStateOpen || r.PullRequest.Number != n || len(f.srv.PRs()) != 1 {
		t.Fatalf("result %+v prs %+v", r, f.srv.PRs())
	}
}

type hideFirstFind struct {
	forge.Provider
	calls *int
}

func (h *hideFirstFind) FindOpen(ctx context.Context, base, head string) (*forge.PullRequest, error) {
	*h.calls++
	if *h.calls == 1 {
		return nil, nil
	}
	return h.Provider.FindOpen(ctx, base, head)
}

func TestPullRequestDryRun(t *testing.T) {
	f := newPRFixture(t, forgetest.GitLab, "group/sub/app")
	f.w.DryRun = true
	r := f.apply(f.decision(forgetest.GitLab, "v1", "v2"))
	if r.Err != nil || r.PullRequest.State != PRStatePlanned || r.Pushed || !strings.Contains(r.Diff, "+  tag: v2") {
		t.Fatalf("dry run %+v", r)
	}
	if !strings.Contains(r.PullRequest.Summary(), "would open PR") || strings.Contains(f.branches(), "image-updater-") || len(f.srv.PRs()) != 0 {
		t.Fatalf("dry run wrote: %s / %s", r.PullRequest.Summary(), f.branches())
	}
	f.w.DryRun = false
	f.apply(f.decision(forgetest.GitLab, "v1", "v2"))
	f.w.DryRun = true
	r = f.apply(f.decision(forgetest.GitLab, "v1", "v2"))
	if r.PullRequest.State != PRStateOpen || !strings.Contains(r.PullRequest.Summary(), "PR #1 is open for this change") {
		t.Fatalf("dry run with an open request: %s", r.PullRequest.Summary())
	}
}

func TestPullRequestAppsSharingATarget(t *testing.T) {
	// Two applications, same target file, different changes: two requests
	// that do not supersede each other.
	f := newPRFixture(t, forgetest.Gitea, "team/app")
	f.srv.Labels["deps"] = 1
	a := f.decision(forgetest.Gitea, "v1", "v2")
	b := f.decision(forgetest.Gitea, "v1", "v2")
	b.Target.App.Name = "web-canary"
	b.Target.WriteBack.Target = "helmvalues:/web/values.yaml"
	a.Target.WriteBack.Target = "helmvalues:/web/values.yaml"
	res := f.w.Apply(context.Background(), []updater.Decision{a, b})
	if len(res) != 1 || res[0].Err != nil || len(res[0].Applied) != 2 {
		// Same change, same key: one request for both.
		t.Fatalf("results %+v", res)
	}
	b.NewTag = "v3"
	res = f.w.Apply(context.Background(), []updater.Decision{a, b})
	for _, r := range res {
		if r.Err != nil || len(r.Warnings) != 0 {
			t.Fatalf("result %+v", r)
		}
	}
	if open := f.srv.Open(); len(open) != 2 {
		t.Fatalf("open %+v, want both applications' requests", open)
	}
}

func TestForgeURL(t *testing.T) {
	tg := target.Target{Source: target.Source{RepoURL: "https://github.com/o/app.git"}}
	for write, want := range map[string]string{
		"https://ghe.example.com/o/r.git": "https://ghe.example.com/o/r.git",
		"git@github.com:o/r.git":          "git@github.com:o/r.git",
		"/tmp/clone":                      "https://github.com/o/app.git",
		"file:///tmp/clone":               "https://github.com/o/app.git",
		"./relative/clone":                "https://github.com/o/app.git",
	} {
		if got := forgeURL(write, tg); got != want {
			t.Errorf("forgeURL(%q) = %q, want %q", write, got, want)
		}
	}
	tg.WriteBack.Repository = "https://gitlab.com/g/s/p.git"
	if got := forgeURL("/tmp/x", tg); got != "https://gitlab.com/g/s/p.git" {
		t.Errorf("with git-repository: %q", got)
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		p    PullRequestResult
		want string
	}{
		{PullRequestResult{State: PRStateOpened, Number: 3, URL: "u", Head: "h", Base: "main", Superseded: []forge.PullRequest{{Number: 2}}}, "opened PR #3 u (h -> main); closed superseded PR #2"},
		{PullRequestResult{State: PRStateOpen, Number: 3, URL: "u"}, "PR #3 is open for this change: u"},
		{PullRequestResult{State: PRStatePlanned, Head: "h", Base: "main", Provider: "gitea"}, "would open PR h -> main on gitea"},
		{PullRequestResult{State: PRStateNone, Base: "main"}, "no PR: main already has the change"},
	} {
		if got := tc.p.Summary(); got != tc.want {
			t.Errorf("Summary() = %q, want %q", got, tc.want)
		}
	}
	if !errors.Is(forge.ErrConfig, forge.ErrConfig) {
		t.Fatal()
	}
}
