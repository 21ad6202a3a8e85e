package api

import (
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/git"
)

// ResultOf turns a cycle's result into the API's answer: every decision,
// one commit per git destination (addresses without passwords), and the
// configuration problems and failed Application patches as problems.
func ResultOf(r cycle.Result) CheckResult {
	res := CheckResult{Decisions: []Decision{}}
	for _, d := range r.Decisions {
		res.Decisions = append(res.Decisions, Decision{
			Application: d.Target.App.String(), Image: d.Target.Image.Key(), Action: string(d.Action),
			From: d.Current.Tag, To: d.NewValue(), Reason: d.Reason,
		})
	}
	for _, g := range r.Git {
		c := Commit{Repository: git.RedactURL(g.RepoURL), Branch: g.Branch, Commit: g.Commit}
		if g.Err != nil {
			c.Error = g.Err.Error()
		}
		res.Commits = append(res.Commits, c)
	}
	for _, p := range r.Problems {
		res.Problems = append(res.Problems, p.Error())
	}
	for _, a := range r.ArgoCD {
		if a.Err != nil {
			res.Problems = append(res.Problems, a.Err.Error())
		}
	}
	return res
}
