package writeback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// ErrConflict marks an update skipped because someone else changed the same
// value after it was planned.
var ErrConflict = errors.New("value changed concurrently")

// CredentialResolver finds Git credentials for a repository. ref is the
// write-back credentials setting: "repocreds" or "secret:[ns/]name".
type CredentialResolver interface {
	GitCredentials(ctx context.Context, repoURL, ref string) (git.Credentials, error)
}

// NoCredentials resolves every repository to anonymous access (local paths,
// or URLs with their own credentials).
type NoCredentials struct{}

// GitCredentials returns empty credentials.
func (NoCredentials) GitCredentials(context.Context, string, string) (git.Credentials, error) {
	return git.Credentials{}, nil
}

// GitWriter writes updates as commits: one per repository and branch.
type GitWriter struct {
	// Git manages working copies.
	Git *git.Manager
	// Layout finds the file of each image.
	Layout Layout
	// Credentials resolves repository credentials.
	Credentials CredentialResolver
	// CommitTemplate renders commit messages (DefaultCommitTemplate if nil).
	CommitTemplate *template.Template
	// SignOff adds a Signed-off-by trailer.
	SignOff bool
	// DryRun computes the diff but neither commits nor pushes.
	DryRun bool
	// Logger receives progress; nil discards.
	Logger *slog.Logger
	// Repository, when set, receives every git write whatever the targets
	// name (repo mode: --repo). The targets keep the repository as their
	// application spells it, which the write-branch template's TargetKey
	// is computed from.
	Repository string
	// Forge builds the pull request provider of targets that ask for pull
	// requests (forge.New when nil).
	Forge ForgeFactory
	// ForgeTimeout bounds each forge API request (forge.DefaultTimeout
	// when zero).
	ForgeTimeout time.Duration
	// PullRequests, when set, counts pull requests opened, closed and
	// failed per provider.
	PullRequests PullRequestCounter
	// CommitMethod is CommitMethodGit ("" too) or CommitMethodAPI (see
	// apicommit.go); APICommitter builds the API publisher (tests).
	CommitMethod string
	APICommitter APICommitterFactory
}

// GroupResult is the outcome for one repository and branch.
type GroupResult struct {
	// RepoURL and Branch are the destination; Base the branch it started from.
	RepoURL, Branch, Base string
	// Commit is the pushed commit ("" when nothing was committed).
	Commit string
	// Pushed reports a successful push; Attempts counts push attempts.
	Pushed   bool
	Attempts int
	// Changes are the changes written.
	Changes []Change
	// Applied are the decisions written; Conflicts those skipped because
	// the value had changed since it was planned.
	Applied   []updater.Decision
	Conflicts []updater.Decision
	// Diff is the unified diff of the change (always computed).
	Diff string
	// Err is set when the group failed as a whole.
	Err error
	// PullRequest is set for a pull request write: what was proposed.
	// Branch is then the request's head branch and Base its base.
	PullRequest *PullRequestResult
	// Warnings are problems that did not fail the group (pull request
	// labels not set, a superseded request not closed).
	Warnings []string
}

// FailedApps names the applications whose changes are in a failed group:
// their updates did not reach the repository.
func FailedApps(groups []GroupResult) map[target.AppRef]bool {
	failed := map[target.AppRef]bool{}
	for _, g := range groups {
		if g.Err == nil {
			continue
		}
		for _, d := range g.Applied {
			failed[d.Target.App] = true
		}
	}
	return failed
}

// Apply writes every git update decision. Decisions of other methods, and
// non-updates, are ignored.
func (w *GitWriter) Apply(ctx context.Context, decisions []updater.Decision) []GroupResult {
	byRepo := map[repoKey][]updater.Decision{}
	var keys []repoKey
	for _, d := range decisions {
		if d.Action != updater.ActionUpdate || d.Target.WriteBack.Method != target.MethodGit {
			continue
		}
		k := repoKeyOf(d.Target)
		if w.Repository != "" {
			k.url = w.Repository
		}
		if _, ok := byRepo[k]; !ok {
			keys = append(keys, k)
		}
		byRepo[k] = append(byRepo[k], d)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].url+keys[i].creds < keys[j].url+keys[j].creds })
	var results []GroupResult
	for _, k := range keys {
		results = append(results, w.applyRepo(ctx, k, byRepo[k])...)
	}
	return results
}

type repoKey struct{ url, creds string }

func repoKeyOf(t target.Target) repoKey {
	url := t.WriteBack.Repository
	if url == "" {
		url = t.Source.RepoURL
	}
	return repoKey{url: url, creds: t.WriteBack.Credentials}
}

// branchGroup is the decisions going to one branch.
type branchGroup struct {
	base, branch string
	decisions    []updater.Decision
	// pr is set for a pull request group (branch is then its head).
	pr *prTarget
	// publish, when set, makes the commit through the forge's API.
	publish git.Publisher
}

func (w *GitWriter) applyRepo(ctx context.Context, k repoKey, decisions []updater.Decision) []GroupResult {
	fail := func(err error) []GroupResult {
		// Every decision of the repository was to be written and was not.
		r := GroupResult{RepoURL: k.url, Applied: decisions, Err: err, Changes: changesOf(decisions, w.Layout)}
		w.logResult(ctx, r)
		return []GroupResult{r}
	}
	creds, err := w.credentials().GitCredentials(ctx, k.url, k.creds)
	if err != nil {
		return fail(fmt.Errorf("credentials for %s: %w", git.RedactURL(k.url), err))
	}
	repo, err := w.Git.Open(ctx, k.url, creds)
	if err != nil {
		return fail(fmt.Errorf("opening %s: %w", git.RedactURL(k.url), err))
	}
	defer repo.Close()
	groups, failed, err := w.branchGroups(ctx, repo, decisions)
	if err != nil {
		return fail(err)
	}
	for _, r := range failed {
		w.logResult(ctx, r)
	}
	results := failed
	keep := prKeep{}
	for _, g := range groups {
		if g.pr != nil {
			keep.add(g.base, g.pr.targetKey, g.branch)
		}
	}
	for _, g := range groups {
		if g.publish, err = w.publisher(g, repo.URL(), creds); err != nil {
			r := GroupResult{RepoURL: repo.URL(), Branch: g.branch, Base: g.base, Applied: g.decisions, Err: err, Changes: changesOf(g.decisions, w.Layout)}
			w.logResult(ctx, r)
			results = append(results, r)
			continue
		}
		if g.pr != nil {
			results = append(results, w.proposeGroup(ctx, repo, creds, g, keep)...)
			continue
		}
		results = append(results, w.commitGroup(ctx, repo, g)...)
	}
	return results
}

// branchGroups resolves each decision's base and write branch and groups
// decisions by them. An application whose write branch cannot be rendered
// is left out, with a failed result of its own.
func (w *GitWriter) branchGroups(ctx context.Context, repo *git.Repo, decisions []updater.Decision) ([]branchGroup, []GroupResult, error) {
	var defaultBranch string
	resolveBase := func(b string) (string, error) {
		if b != "" && b != "HEAD" {
			return b, nil
		}
		if defaultBranch == "" {
			db, err := repo.DefaultBranch(ctx)
			if err != nil {
				return "", fmt.Errorf("default branch of %s: %w", repo.URL(), err)
			}
			defaultBranch = db
		}
		return defaultBranch, nil
	}
	index := map[[2]string]int{}
	var groups []branchGroup
	var failed []GroupResult
	for _, app := range groupByApp(decisions) {
		t := app[0].Target
		base, tmpl := splitBranchSpec(t)
		base, err := resolveBase(base)
		if err != nil {
			return nil, nil, err
		}
		branch := base
		var pr *prTarget
		if t.WriteBack.PullRequest != nil {
			// The head branch is always upstream's; the setting's base is
			// a plain branch (checked when the settings were read).
			tmpl = PullRequestBranchTemplate
			pr = &prTarget{settings: t.WriteBack.PullRequest, targetKey: w.Layout.TargetKey(t), apiRepoURL: forgeURL(repo.URL(), t)}
		}
		if tmpl != "" {
			if branch, err = RenderBranch(tmpl, branchData(t, w.Layout, app)); err != nil {
				failed = append(failed, GroupResult{RepoURL: repo.URL(), Branch: t.WriteBack.Branch, Base: base, Applied: app,
					Changes: changesOf(app, w.Layout), Err: fmt.Errorf("application %s: %w", t.App, err)})
				continue
			}
		}
		key := [2]string{base, branch}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, branchGroup{base: base, branch: branch, pr: pr})
		}
		groups[i].decisions = append(groups[i].decisions, app...)
	}
	return groups, failed, nil
}

// splitBranchSpec reads the git-branch setting: "branch", "base:template"
// or ":template"; an empty base means the source's targetRevision.
func splitBranchSpec(t target.Target) (base, writeTemplate string) {
	spec := t.WriteBack.Branch
	base, writeTemplate, _ = strings.Cut(spec, ":")
	if base == "" {
		base = t.Source.TargetRevision
	}
	return base, writeTemplate
}

func groupByApp(decisions []updater.Decision) [][]updater.Decision {
	index := map[target.AppRef]int{}
	var out [][]updater.Decision
	for _, d := range decisions {
		i, ok := index[d.Target.App]
		if !ok {
			i = len(out)
			index[d.Target.App] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], d)
	}
	return out
}

// commitGroup writes one branch: the result of the commit, then a failed
// result for each application left out because its edits failed.
func (w *GitWriter) commitGroup(ctx context.Context, repo *git.Repo, g branchGroup) []GroupResult {
	res := GroupResult{RepoURL: repo.URL(), Branch: g.branch, Base: g.base}
	ed := &groupEditor{layout: w.Layout, decisions: g.decisions, write: !w.DryRun}
	if w.DryRun {
		// A commit starts from the base branch (a write branch is rebuilt
		// from it), so the diff is against the base; the edits are rendered
		// in memory and never written.
		if err := repo.Checkout(ctx, g.base); err != nil {
			res.Err = fmt.Errorf("checking out %s: %w", g.base, err)
			return w.results(ctx, ed, res)
		}
		if _, err := ed.apply(ctx, repo.Dir()); err != nil {
			res.Err = err
		}
		return w.results(ctx, ed, res)
	}
	req := git.CommitRequest{
		Branch:      g.branch,
		Base:        baseIfDifferent(g),
		AllowForce:  g.branch != g.base,
		SignOff:     w.SignOff,
		Apply:       func(dir string) (bool, error) { return ed.apply(ctx, dir) },
		MessageFunc: w.messageFunc(ctx, ed, nil),
		Publisher:   g.publish,
	}
	pr, err := repo.CommitAndPush(ctx, req)
	res.Commit, res.Pushed, res.Attempts = pr.Commit, pr.Pushed, pr.Attempts
	if err != nil {
		res.Err = fmt.Errorf("committing to %s branch %s: %w", repo.URL(), g.branch, err)
	}
	return w.results(ctx, ed, res)
}

// messageFunc renders the commit message of ed's last Apply run, which
// lists what that run actually changed: changes dropped as concurrent
// edits, and applications left out, are not in it. The new images' labels
// are read only when the template uses them. rendered, when not nil,
// receives the message.
func (w *GitWriter) messageFunc(ctx context.Context, ed *groupEditor, rendered *string) func() (string, error) {
	tmpl := w.CommitTemplate
	if tmpl == nil {
		tmpl, _ = ParseCommitTemplate("")
	}
	needLabels := UsesLabels(tmpl)
	return func() (string, error) {
		changes := changesOf(ed.applied, w.Layout)
		if needLabels {
			var err error
			if changes, err = withLabels(ctx, changes, ed.applied); err != nil {
				return "", err
			}
		}
		msg, err := RenderCommit(tmpl, changes)
		if rendered != nil {
			*rendered = msg
		}
		return msg, err
	}
}

// results completes res from the editor's last run and logs every result.
func (w *GitWriter) results(ctx context.Context, ed *groupEditor, res GroupResult) []GroupResult {
	ed.fill(&res)
	if res.Err != nil {
		// The group failed as a whole (perhaps before every application was
		// rendered): each of its decisions failed with it, except those
		// already reported on their own.
		res.Applied = withoutFailed(ed.decisions, ed.failed)
		res.Changes = changesOf(res.Applied, w.Layout)
	}
	var out []GroupResult
	if res.Err != nil || len(res.Applied) > 0 || len(res.Conflicts) > 0 || res.PullRequest != nil {
		w.logResult(ctx, res)
		out = append(out, res)
	}
	for _, f := range ed.failures(res) {
		w.logResult(ctx, f)
		out = append(out, f)
	}
	return out
}

func withoutFailed(decisions []updater.Decision, failed []appFailure) []updater.Decision {
	left := map[target.AppRef]bool{}
	for _, f := range failed {
		left[f.decisions[0].Target.App] = true
	}
	var out []updater.Decision
	for _, d := range decisions {
		if !left[d.Target.App] {
			out = append(out, d)
		}
	}
	return out
}

func baseIfDifferent(g branchGroup) string {
	if g.base == g.branch {
		return ""
	}
	return g.base
}

func (w *GitWriter) credentials() CredentialResolver {
	if w.Credentials == nil {
		return NoCredentials{}
	}
	return w.Credentials
}

func (w *GitWriter) logResult(ctx context.Context, r GroupResult) {
	if w.Logger == nil {
		return
	}
	if r.Err != nil {
		w.Logger.ErrorContext(ctx, "git write-back failed", "repository", git.RedactURL(r.RepoURL), "branch", r.Branch,
			"applications", appNames(r.Applied), "error", r.Err)
		return
	}
	for _, warn := range r.Warnings {
		w.Logger.WarnContext(ctx, "git write-back warning", "repository", git.RedactURL(r.RepoURL), "branch", r.Branch, "warning", warn)
	}
	if p := r.PullRequest; p != nil {
		w.Logger.InfoContext(ctx, "git write-back pull request: "+p.Summary(), "repository", git.RedactURL(r.RepoURL), "provider", p.Provider,
			"head", p.Head, "base", p.Base, "state", p.State, "number", p.Number, "url", p.URL, "pushed", r.Pushed,
			"changes", len(r.Applied), "applications", appNames(r.Applied))
		return
	}
	if w.DryRun {
		w.Logger.InfoContext(ctx, "git write-back planned (dry run, nothing written)", "repository", git.RedactURL(r.RepoURL), "branch", r.Branch,
			"changes", len(r.Applied), "conflicts", len(r.Conflicts))
		return
	}
	w.Logger.InfoContext(ctx, "git write-back done", "repository", git.RedactURL(r.RepoURL), "branch", r.Branch,
		"commit", r.Commit, "pushed", r.Pushed, "attempts", r.Attempts, "changes", len(r.Applied), "conflicts", len(r.Conflicts))
}

// appNames lists the applications of decisions, once each.
func appNames(decisions []updater.Decision) []string {
	var out []string
	seen := map[target.AppRef]bool{}
	for _, d := range decisions {
		if !seen[d.Target.App] {
			seen[d.Target.App] = true
			out = append(out, d.Target.App.String())
		}
	}
	return out
}

// changesOf describes decisions as commit-message changes.
func changesOf(decisions []updater.Decision, l Layout) []Change {
	out := make([]Change, 0, len(decisions))
	for _, d := range decisions {
		f, _ := l.FileFor(d.Target)
		out = append(out, Change{
			App: d.Target.App.Name, AppNamespace: d.Target.App.Namespace,
			Alias: d.Target.Image.Alias, Image: d.Target.Image.Name,
			OldTag: oldValue(d).TagValue(), NewTag: newValue(d).TagValue(),
			File: f.Path,
		})
	}
	return out
}

func oldValue(d updater.Decision) Value {
	return Value{Name: d.Target.Image.Name, Tag: d.Current.Tag, Digest: d.Current.Digest}
}

func newValue(d updater.Decision) Value {
	v := Value{Name: d.Target.Image.Name, Tag: d.NewTag}
	if d.Target.Policy.Strategy == policy.StrategyDigest {
		v.Digest = d.NewDigest
	}
	return v
}
