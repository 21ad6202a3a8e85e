package writeback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// branchDecision is app's move of reg/<image> from old to next in
// <app>/values.yaml, written per the git-branch setting branch from a
// source tracking revision.
func branchDecision(t testing.TB, app, image, old, next, revision, branch string) updater.Decision {
	t.Helper()
	d := helmUpdate(t, app, "reg/"+image, app, "img", old, next)
	d.Target.Source.TargetRevision = revision
	d.Target.WriteBack.Branch = branch
	return d
}

// upstreamSHA is the SHA256 write-branch field as upstream defines it: the
// hex SHA-256 of "<name>-<old>-<new>," per image.
func upstreamSHA(moves ...string) string {
	return hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte(strings.Join(moves, ""))); return s[:] }())
}

// groupSummary prints a branch group as "base>branch:app,app".
func groupSummary(g branchGroup) string {
	return g.base + ">" + g.branch + ":" + strings.Join(appNames(g.decisions), ",")
}

// TestBranchGroups shows how decisions are grouped into destinations: one
// group per base and write branch, whatever the applications; the default
// branch stands for HEAD and an empty setting; a write branch that cannot
// be rendered fails its application alone.
func TestBranchGroups(t *testing.T) {
	bare := bareRepo(t, map[string]string{"README": "x\n"})
	gitCmd(t, bare, "branch", "trunk", "main")
	gitCmd(t, bare, "symbolic-ref", "HEAD", "refs/heads/trunk")
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	repo, err := mgr.Open(context.Background(), bare, git.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	d := func(app, image, old, next, revision, branch string) updater.Decision {
		return branchDecision(t, app, image, old, next, revision, branch)
	}
	sha := upstreamSHA("reg/a-v1-v2,")
	tests := []struct {
		name      string
		decisions []updater.Decision
		want      []string // groupSummary of each group, in order
		failed    []string // applications failed on their own
	}{
		{"one branch, several applications",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", ""), d("b", "b", "1", "2", "main", ""), d("c", "c", "1", "2", "", "main")},
			[]string{"main>main:argocd/a,argocd/b,argocd/c"}, nil},
		{"git-branch setting wins over targetRevision",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "release"), d("b", "b", "1", "2", "release", "")},
			[]string{"release>release:argocd/a,argocd/b"}, nil},
		{"HEAD and empty mean the remote default branch",
			[]updater.Decision{d("a", "a", "v1", "v2", "HEAD", ""), d("b", "b", "1", "2", "", ""), d("c", "c", "1", "2", "trunk", "")},
			[]string{"trunk>trunk:argocd/a,argocd/b,argocd/c"}, nil},
		{"two base branches, two groups",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", ""), d("b", "b", "1", "2", "release", ""), d("c", "c", "1", "2", "main", "")},
			[]string{"main>main:argocd/a,argocd/c", "release>release:argocd/b"}, nil},
		{"images of one application stay together",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:ip-{{.AppName}}"), d("b", "b", "1", "2", "main", ""), d("a", "x", "1", "2", "main", "main:ip-{{.AppName}}")},
			[]string{"main>ip-a:argocd/a", "main>main:argocd/b"}, nil},
		{"fixed write branch shared by applications",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:image-updates"), d("b", "b", "1", "2", "release", "main:image-updates")},
			[]string{"main>image-updates:argocd/a,argocd/b"}, nil},
		{"same write branch name from different bases",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:image-updates"), d("b", "b", "1", "2", "main", "release:image-updates")},
			[]string{"main>image-updates:argocd/a", "release>image-updates:argocd/b"}, nil},
		{"write branch per application",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:ip-{{.AppNamespace}}-{{.AppName}}"), d("b", "b", "1", "2", "main", "main:ip-{{.AppNamespace}}-{{.AppName}}")},
			[]string{"main>ip-argocd-a:argocd/a", "main>ip-argocd-b:argocd/b"}, nil},
		{"empty base takes targetRevision",
			[]updater.Decision{d("a", "a", "v1", "v2", "release", ":image-updater-{{.SHA256}}")},
			[]string{"release>image-updater-" + sha + ":argocd/a"}, nil},
		{"same change, same SHA256 branch",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:image-updater-{{.SHA256}}"), d("b", "a", "v1", "v2", "main", "main:image-updater-{{.SHA256}}")},
			[]string{"main>image-updater-" + sha + ":argocd/a,argocd/b"}, nil},
		{"different changes, different SHA256 branches",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:image-updater-{{.SHA256}}"), d("b", "a", "v1", "v3", "main", "main:image-updater-{{.SHA256}}")},
			[]string{"main>image-updater-" + sha + ":argocd/a", "main>image-updater-" + upstreamSHA("reg/a-v1-v3,") + ":argocd/b"}, nil},
		{"range over images",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:iu{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}"), d("a", "b", "1", "2", "main", "main:iu{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}")},
			[]string{"main>iu-reg/a-v2-reg/b-2:argocd/a"}, nil},
		{"invalid rendered name fails only its application",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:bad name"), d("b", "b", "1", "2", "main", "")},
			[]string{"main>main:argocd/b"}, []string{"argocd/a"}},
		{"unknown field fails only its application",
			[]updater.Decision{d("a", "a", "v1", "v2", "main", "main:{{.Nope}}"), d("b", "b", "1", "2", "main", "main:{{.AppName}}")},
			[]string{"main>b:argocd/b"}, []string{"argocd/a"}},
		{"pull request head branch is upstream's",
			[]updater.Decision{func() updater.Decision {
				x := d("a", "a", "v1", "v2", "main", "main")
				x.Target.WriteBack.PullRequest = &target.PullRequest{Provider: target.ProviderGitHub}
				return x
			}()},
			[]string{"main>image-updater-" + (Layout{}).TargetKey(d("a", "a", "v1", "v2", "main", "main").Target) + "-" + sha + ":argocd/a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups, failed, err := (&GitWriter{}).branchGroups(context.Background(), repo, tt.decisions)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range groups {
				got = append(got, groupSummary(g))
				if (g.pr != nil) != (g.decisions[0].Target.WriteBack.PullRequest != nil) {
					t.Errorf("group %s: pull request target %v", groupSummary(g), g.pr)
				}
			}
			if strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
				t.Errorf("groups:\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(tt.want, "\n "))
			}
			var gotFailed []string
			for _, f := range failed {
				if f.Err == nil || !strings.Contains(f.Err.Error(), f.Applied[0].Target.App.String()) {
					t.Errorf("failed result without an error naming its application: %+v", f)
				}
				gotFailed = append(gotFailed, appNames(f.Applied)...)
			}
			if fmt.Sprint(gotFailed) != fmt.Sprint(tt.failed) {
				t.Errorf("failed = %v, want %v", gotFailed, tt.failed)
			}
		})
	}
}

func TestSplitBranchSpec(t *testing.T) {
	tests := []struct{ spec, revision, base, tmpl string }{
		{"", "main", "main", ""},
		{"", "", "", ""},
		{"release", "main", "release", ""},
		{"main:ip-{{.SHA256}}", "dev", "main", "ip-{{.SHA256}}"},
		{":ip-{{.AppName}}", "dev", "dev", "ip-{{.AppName}}"},
		{"main:a:b", "dev", "main", "a:b"},
		{"HEAD:x", "dev", "HEAD", "x"},
	}
	for _, tt := range tests {
		tg := target.Target{WriteBack: target.WriteBack{Branch: tt.spec}, Source: target.Source{TargetRevision: tt.revision}}
		if base, tmpl := splitBranchSpec(tg); base != tt.base || tmpl != tt.tmpl {
			t.Errorf("splitBranchSpec(%q, revision %q) = %q, %q; want %q, %q", tt.spec, tt.revision, base, tmpl, tt.base, tt.tmpl)
		}
	}
}

// TestRenderBranchTemplates renders upstream's documented write-branch
// templates from the data branchData builds for real decisions.
func TestRenderBranchTemplates(t *testing.T) {
	base := target.Target{App: target.AppRef{Namespace: "team", Name: "web"}, Source: target.Source{RepoURL: testRepo, Path: "apps/web"},
		WriteBack: target.WriteBack{Method: target.MethodGit, Branch: "main:x"}}
	two := branchDecisions(t, base, []move{{spec: "fe=ghcr.io/org/frontend", oldTag: "1.0", newTag: "1.1"}, {spec: "nginx", oldTag: "1.25", newTag: "1.26"}})
	digest := branchDecisions(t, base, []move{{spec: "registry.example.com/team/web", oldTag: "s", oldDigest: digest1, newTag: "s", newDigest: digest2}})
	data := branchData(two[0].Target, Layout{}, two)
	tests := []struct {
		name, tmpl string
		ds         []updater.Decision
		want       string // "" when rendering must fail
	}{
		{"upstream range example", "image-updater{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}", two, "image-updater-org/frontend-1.1-nginx-1.26"},
		{"sha256", "image-updater-{{.SHA256}}", two, "image-updater-" + upstreamSHA("org/frontend-1.0-1.1,", "nginx-1.25-1.26,")},
		{"target key and sha", "image-updater-{{.TargetKey}}-{{.SHA256}}", two, "image-updater-" + data.TargetKey + "-" + data.SHA256},
		{"namespace and name", "{{.AppNamespace}}/{{.AppName}}/update", two, "team/web/update"},
		{"aliases and old tags", "up{{range .Images}}-{{if .Alias}}{{.Alias}}{{else}}none{{end}}-{{.OldTag}}{{end}}", two, "up-fe-1.0-none-1.25"},
		{"index into images", "{{(index .Images 1).Name}}-{{len .Images}}", two, "nginx-2"},
		{"digest strategy hashes digests", "iu-{{.SHA256}}", digest, "iu-" + upstreamSHA("team/web-"+digest1+"-"+digest2+",")},
		{"a digest is no branch name", "iu{{range .Images}}-{{.NewTag}}{{end}}", digest, ""},
		{"trailing slash", "{{.AppName}}/", two, ""},
		{"index out of range", "{{(index .Images 5).Name}}", two, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderBranch(tt.tmpl, branchData(tt.ds[0].Target, Layout{}, tt.ds))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("RenderBranch(%q) = %q, want an error", tt.tmpl, got)
				}
				if !strings.Contains(err.Error(), tt.tmpl) {
					t.Errorf("error does not quote the template: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("RenderBranch(%q) = %q, %v; want %q", tt.tmpl, got, err, tt.want)
			}
		})
	}
}

func FuzzRenderBranch(f *testing.F) {
	for _, s := range []string{"image-updater-{{.SHA256}}", "x{{range .Images}}-{{.Name}}{{end}}", "{{.AppName}}/{{.TargetKey}}", "a..b", "{{"} {
		f.Add(s, "web")
	}
	f.Fuzz(func(t *testing.T, tmpl, app string) {
		got, err := RenderBranch(tmpl, BranchData{AppName: app, SHA256: strings.Repeat("0a", 32), TargetKey: "0123abcd",
			Images: []BranchImage{{Name: "team/web", OldTag: "1", NewTag: "2"}}})
		if err != nil {
			return
		}
		if len(got) > maxBranchLength || git.ValidateBranch(got) != nil {
			t.Fatalf("RenderBranch(%q) = %q: not a valid branch name of at most %d bytes", tmpl, got, maxBranchLength)
		}
	})
}

// TestApplyOneCommitPerRepositoryAndBranch writes to two local
// repositories: every repository and branch gets exactly one commit
// holding all its applications' changes and nothing else.
func TestApplyOneCommitPerRepositoryAndBranch(t *testing.T) {
	files := map[string]string{}
	for _, app := range []string{"a1", "a2", "a3", "a4", "b1"} {
		files[app+"/values.yaml"] = "img:\n  repository: reg/" + app + "\n  tag: v1\n"
	}
	repoA, repoB := bareRepo(t, files), bareRepo(t, files)
	for _, bare := range []string{repoA, repoB} {
		gitCmd(t, bare, "branch", "release", "main")
	}
	dec := func(app, branch, writeRepo string) updater.Decision {
		d := branchDecision(t, app, app, "v1", "v2", "main", branch)
		d.Target.Source.RepoURL, d.Target.WriteBack.Repository = repoA, writeRepo
		return d
	}
	decisions := []updater.Decision{
		dec("a1", "", ""), dec("a3", "main:ip-{{.AppName}}", ""), dec("b1", "", repoB), dec("a2", "main", ""), dec("a4", "release", ""),
		// Neither an update nor a git write: ignored.
		{Item: dec("a1", "", "").Item, Action: updater.ActionSkip},
		func() updater.Decision {
			x := dec("a2", "", "")
			x.Target.WriteBack.Method = target.MethodArgoCD
			return x
		}(),
	}
	before := map[string]string{}
	for _, bare := range []string{repoA, repoB} {
		for _, b := range []string{"main", "release"} {
			before[bare+" "+b] = gitCmd(t, bare, "rev-parse", b)
		}
	}
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	res := (&GitWriter{Git: mgr}).Apply(context.Background(), decisions)
	var got []string
	for _, r := range res {
		if r.Err != nil || !r.Pushed {
			t.Fatalf("result %s %s: pushed=%v err=%v", r.RepoURL, r.Branch, r.Pushed, r.Err)
		}
		got = append(got, fmt.Sprintf("%s %s<-%s %s", repoName(r.RepoURL, repoA, repoB), r.Branch, r.Base, strings.Join(appNames(r.Applied), ",")))
	}
	sort.Strings(got)
	want := []string{"A ip-a3<-main argocd/a3", "A main<-main argocd/a1,argocd/a2", "A release<-release argocd/a4", "B main<-main argocd/b1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("results:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range []struct {
		bare, branch, from string
		files              string
	}{
		{repoA, "main", before[repoA+" main"], "a1/values.yaml\na2/values.yaml"},
		{repoA, "release", before[repoA+" release"], "a4/values.yaml"},
		{repoA, "ip-a3", "main", "a3/values.yaml"}, // one commit on top of its base, whichever main it started from
		{repoB, "main", before[repoB+" main"], "b1/values.yaml"},
	} {
		if n := gitCmd(t, c.bare, "rev-list", "--count", c.branch, "^"+c.from); n != "1" {
			t.Errorf("%s: %s commits on top of its base", c.branch, n)
		}
		if changed := gitCmd(t, c.bare, "diff", "--name-only", c.branch+"^", c.branch); changed != c.files {
			t.Errorf("%s %s: last commit changes\n%s\nwant\n%s", c.bare, c.branch, changed, c.files)
		}
	}
	if got := gitCmd(t, repoB, "rev-parse", "release"); got != before[repoB+" release"] {
		t.Error("repository B's release branch moved")
	}
}

func TestFailedApps(t *testing.T) {
	a, b, c := helmUpdate(t, "a", "reg/a", "a", "img", "1", "2"), helmUpdate(t, "b", "reg/b", "b", "img", "1", "2"), helmUpdate(t, "c", "reg/c", "c", "img", "1", "2")
	groups := []GroupResult{
		{Applied: []updater.Decision{a, b}},
		{Applied: []updater.Decision{c}, Err: fmt.Errorf("push rejected")},
		{Applied: []updater.Decision{a}, Conflicts: []updater.Decision{b}},
	}
	got := FailedApps(groups)
	if len(got) != 1 || !got[c.Target.App] {
		t.Fatalf("FailedApps = %v, want only %s", got, c.Target.App)
	}
	if len(FailedApps(nil)) != 0 {
		t.Fatal("FailedApps(nil) not empty")
	}
}

// repoName names the repository url is (A or B), as git.Repo spells it.
func repoName(url, a, b string) string {
	switch strings.TrimPrefix(url, "file://") {
	case a:
		return "A"
	case b:
		return "B"
	}
	return "unknown " + url
}

// TestApplyRepositorySetting: GitWriter.Repository (repo mode's --repo)
// receives every write, whatever repository the targets name, in one
// commit per branch; the targets' own repositories stay as they are.
func TestApplyRepositorySetting(t *testing.T) {
	files := map[string]string{"x/values.yaml": "img:\n  repository: reg/x\n  tag: v1\n", "y/values.yaml": "img:\n  repository: reg/y\n  tag: v1\n"}
	named, clone := bareRepo(t, files), bareRepo(t, files)
	x, y := branchDecision(t, "x", "x", "v1", "v2", "main", ""), branchDecision(t, "y", "y", "v1", "v2", "main", "")
	x.Target.Source.RepoURL, y.Target.Source.RepoURL = named, "https://git.example.com/other.git"
	head := gitCmd(t, named, "rev-parse", "main")
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	res := (&GitWriter{Git: mgr, Repository: clone}).Apply(context.Background(), []updater.Decision{x, y})
	if len(res) != 1 || res[0].Err != nil || len(res[0].Applied) != 2 || repoName(res[0].RepoURL, named, clone) != "B" {
		t.Fatalf("results: %+v", res)
	}
	if n := gitCmd(t, clone, "rev-list", "--count", "main"); n != "2" {
		t.Errorf("clone main has %s commits, want seed + 1", n)
	}
	if gitCmd(t, named, "rev-parse", "main") != head {
		t.Error("the repository the target names was written")
	}
}
