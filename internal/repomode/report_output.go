package repomode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/target"
)

// PlanOutput is `plan -o json|yaml`: what a cycle would change.
type PlanOutput struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Branch is the branch Applications were read from.
	Branch string `json:"branch"`
	// Applications counts the Applications read.
	Applications int `json:"applications"`
	// Decisions has one entry per managed image.
	Decisions []api.Decision `json:"decisions"`
	// Changes has one entry per repository and branch that would change.
	Changes []PlanChange `json:"changes"`
	// Problems are configuration problems that stopped an item.
	Problems []string `json:"problems"`
	// SkippedApplications live in other repositories.
	SkippedApplications []string `json:"skippedApplications"`
	// SkippedFiles were not read.
	SkippedFiles []PlanSkippedFile `json:"skippedFiles"`
	// Summary counts the decisions.
	Summary PlanSummary `json:"summary"`
}

// PlanChange is one repository and branch a cycle would write.
type PlanChange struct {
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
	// Diff is the unified diff that would be committed.
	Diff string `json:"diff,omitempty"`
	// Conflicts are images left alone because their value changed since
	// it was planned ("application image").
	Conflicts []string `json:"conflicts,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// PlanSkippedFile is a file plan did not read, and why.
type PlanSkippedFile struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// PlanSummary counts the decisions by outcome.
type PlanSummary struct {
	ToUpdate int `json:"toUpdate"`
	Skipped  int `json:"skipped"`
	Errors   int `json:"errors"`
}

// Plan is rep as `plan -o json|yaml` prints it: every list present (empty,
// never null) and repository addresses without passwords.
func (rep Report) Plan() PlanOutput {
	res := api.ResultOf(cycle.Result{Decisions: rep.Decisions})
	out := PlanOutput{
		APIVersion: api.OutputSchema, Kind: "Plan", Branch: rep.Branch, Applications: rep.Applications,
		Decisions: res.Decisions, Changes: []PlanChange{}, Problems: []string{}, SkippedApplications: []string{}, SkippedFiles: []PlanSkippedFile{},
	}
	for _, p := range rep.Problems {
		out.Problems = append(out.Problems, p.Error())
	}
	for _, s := range rep.Skipped {
		out.SkippedApplications = append(out.SkippedApplications, s.App.String())
	}
	for _, f := range rep.SkippedFiles {
		out.SkippedFiles = append(out.SkippedFiles, PlanSkippedFile{File: f.File, Reason: f.Reason})
	}
	for _, g := range rep.Git {
		c := PlanChange{Repository: RedactURL(g.RepoURL), Branch: g.Branch, Diff: g.Diff}
		for _, d := range g.Conflicts {
			c.Conflicts = append(c.Conflicts, d.Target.App.String()+" "+d.Target.Image.Key())
		}
		if g.Err != nil {
			c.Error = g.Err.Error()
		}
		out.Changes = append(out.Changes, c)
	}
	out.Summary.ToUpdate, out.Summary.Skipped, out.Summary.Errors = rep.Counts()
	return out
}

// WriteText prints rep for people: the decisions with their reasons, what
// happened per repository and branch, the diffs when diffs is set, and the
// counts. Repository addresses are printed without passwords.
func (rep Report) WriteText(w io.Writer, diffs bool) {
	fmt.Fprintf(w, "Branch %s: %d application(s), %d image(s)\n", rep.Branch, rep.Applications, len(rep.Decisions))
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  problem: %v\n", p)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "  skipped application %s\n", s)
	}
	for _, f := range rep.SkippedFiles {
		fmt.Fprintf(w, "  skipped file %s: %s\n", f.File, f.Reason)
	}
	for _, d := range rep.Decisions {
		fmt.Fprintf(w, "  %-6s %s %s: %s\n", strings.ToUpper(string(d.Action)), d.Target.App, d.Target.Image.Key(), d.Reason)
	}
	for _, g := range rep.Git {
		g.RepoURL = RedactURL(g.RepoURL)
		switch {
		case g.Err != nil:
			fmt.Fprintf(w, "\n%s (%s): FAILED: %v\n", g.RepoURL, g.Branch, g.Err)
		case g.PullRequest != nil:
			fmt.Fprintf(w, "\n%s (%s): %s\n", g.RepoURL, g.Base, g.PullRequest.Summary())
		case g.Commit != "":
			fmt.Fprintf(w, "\n%s (%s): committed %s (%d push attempt(s))\n", g.RepoURL, g.Branch, api.ShortCommit(g.Commit), g.Attempts)
		default:
			fmt.Fprintf(w, "\n%s (%s): would change:\n", g.RepoURL, g.Branch)
		}
		for _, c := range g.Conflicts {
			fmt.Fprintf(w, "  left alone (changed concurrently): %s %s\n", c.Target.App, c.Target.Image.Key())
		}
		if diffs && g.Diff != "" {
			fmt.Fprintf(w, "%s", g.Diff)
		}
	}
	updated, skipped, errored := rep.Counts()
	fmt.Fprintf(w, "\nimages: %d to update, %d skipped, %d errors\n", updated, skipped, errored)
}

// ErrNoSuchApplication marks a RunApplication whose application manages no
// image in the repository (or does not exist).
var ErrNoSuchApplication = errors.New("no application of that name manages an image")

// RunApplication runs one cycle over every application (application "")
// or only the one named application, given as "name" (any namespace) or
// "namespace/name". A named application that yields neither a decision nor
// a problem is an error wrapping ErrNoSuchApplication.
func (r *Runner) RunApplication(ctx context.Context, application string) (Report, error) {
	if application == "" {
		return r.RunOnce(ctx)
	}
	rep, err := r.RunFor(ctx, ApplicationMatcher(application))
	if err != nil {
		return rep, err
	}
	if len(rep.Decisions) == 0 && len(rep.Problems) == 0 {
		return rep, fmt.Errorf("%w in %s", ErrNoSuchApplication, RedactURL(r.RepoURL))
	}
	return rep, nil
}

// ApplicationMatcher selects the targets of the application name, given as
// "name" (any namespace) or "namespace/name"; "" matches nothing.
func ApplicationMatcher(name string) func(target.Target) bool {
	return func(t target.Target) bool {
		return t.App.Name == name || t.App.String() == name
	}
}

// RecordTo makes r record every cycle and registry webhook event in ops
// (nil: nothing is recorded).
func (r *Runner) RecordTo(ops *metrics.Ops) {
	if ops == nil {
		return
	}
	r.Observe = func(start, end time.Time, rep Report, err error) {
		ops.ObserveCycle(CycleObservation(start, end, rep, err))
	}
	r.OnWebhookEvent = ops.WebhookEvent
}

// CycleObservation turns one repo-mode cycle into what the metrics record:
// pushes that were rejected before a later attempt succeeded count as
// failed, and the wait for the working copy counts as part of the cycle.
func CycleObservation(start, end time.Time, rep Report, err error) metrics.Cycle {
	c := rep.Observation(metrics.ModeRepo, end, err)
	c.Start = start
	return c
}
