package target

import (
	"fmt"
	"strings"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// Place chooses each target's source (ChooseSource) and settles where a
// git write-back goes when the source is not a plain Git source:
//
//   - a Source Hydrator application is read and written through its dry
//     source; the argocd method cannot write it (its overrides live in the
//     dry source, which Argo CD hydrates), so such a target is an error;
//   - a Helm chart from a chart repository (spec.source.chart) is no Git
//     repository: git write-back needs the repository named by
//     git-repository / gitConfig.repository, and the chart version in
//     targetRevision is no branch, so the base branch is that of the
//     application's source in that repository (multi-source), else the
//     git-branch setting, else the repository's default branch.
//
// It returns the targets that can be written and one error per target that
// cannot; callers that act per application drop the whole application.
func Place(app *argocd.Application, targets []Target) ([]Target, []error) {
	var out []Target
	var errs []error
	for _, t := range targets {
		ChooseSource(app, &t)
		if err := placeWriteBack(app, &t); err != nil {
			errs = append(errs, fmt.Errorf("%w: application %s image %s: %w", ErrConfig, t.App, t.Image.Key(), err))
			continue
		}
		out = append(out, t)
	}
	return out, errs
}

func placeWriteBack(app *argocd.Application, t *Target) error {
	if t.Source.Index == IndexDrySource && t.WriteBack.Method != MethodGit {
		return fmt.Errorf("spec.sourceHydrator: the %s write-back method cannot change a Source Hydrator application; use git write-back (it writes to the dry source %s)", t.WriteBack.Method, t.Source.RepoURL)
	}
	if t.Source.Chart == "" || t.WriteBack.Method != MethodGit {
		return nil
	}
	if t.WriteBack.Repository == "" {
		return fmt.Errorf("source is Helm chart %q from the chart repository %s, which is not a Git repository: set the git-repository annotation or writeBackConfig.gitConfig.repository", t.Source.Chart, t.Source.RepoURL)
	}
	// The chart's targetRevision is a chart version, not a branch.
	t.Source.TargetRevision = ""
	sources, _ := appSources(app)
	for _, s := range sources {
		if s.Chart == "" && SameRepoURL(s.RepoURL, t.WriteBack.Repository) {
			t.Source.TargetRevision = s.TargetRevision
			break
		}
	}
	return nil
}

// SameRepoURL reports whether two repository URLs name the same repository
// in the usual equivalent spellings: host case, a trailing slash or ".git".
func SameRepoURL(a, b string) bool {
	return normalRepoURL(a) == normalRepoURL(b)
}

func normalRepoURL(u string) string {
	u = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(u), "/"), ".git")
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return strings.ToLower(u)
	}
	host, p, _ := strings.Cut(rest, "/")
	return strings.ToLower(scheme) + "://" + strings.ToLower(host) + "/" + p
}
