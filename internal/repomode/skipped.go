package repomode

import (
	"fmt"
	"strings"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

// SkippedApp is an Application that carries image-updater configuration
// (annotations, or an ImageUpdater selects it) but is not managed from this
// repository, because none of its sources lives here.
type SkippedApp struct {
	// App names the application.
	App target.AppRef
	// File is the manifest's path relative to the repository root.
	File string
	// Sources are the repository addresses of the application's sources,
	// passwords hidden.
	Sources []string
	// Reason says why no source counts as this repository.
	Reason string
}

// String renders the notice for logs and plan output.
func (s SkippedApp) String() string {
	return fmt.Sprintf("%s (%s): %s", s.App, s.File, s.Reason)
}

// skippedApp explains why app has no source in this repository (known by
// repoURLs, the first being --repo).
func skippedApp(app Application, ref target.AppRef, repoURLs []string) SkippedApp {
	var sources, charts []string
	var caseOnly bool
	for _, s := range appSources(app.Application) {
		if s.Chart != "" {
			charts = append(charts, fmt.Sprintf("chart %s from %s", s.Chart, RedactURL(s.RepoURL)))
			continue
		}
		sources = append(sources, RedactURL(s.RepoURL))
		for _, u := range repoURLs {
			if a, b := NormalizeRepoURL(s.RepoURL), NormalizeRepoURL(u); a != b && strings.EqualFold(a, b) {
				caseOnly = true
			}
		}
	}
	sk := SkippedApp{App: ref, File: app.File, Sources: append(sources, charts...)}
	var b strings.Builder
	switch {
	case len(sources) == 0 && len(charts) == 0:
		b.WriteString("has no source with a repoURL")
	case len(sources) == 0:
		fmt.Fprintf(&b, "its only sources are Helm charts (%s), which are not this repository", strings.Join(charts, ", "))
	default:
		fmt.Fprintf(&b, "its source %s is not this repository (%s)", strings.Join(sources, ", "), RedactURL(repoURLs[0]))
		if caseOnly {
			b.WriteString("; the addresses differ only in the case of the path, which many servers tell apart")
		}
		fmt.Fprintf(&b, "; if it is the same repository, add --source-url %s", sources[0])
	}
	sk.Reason = "not managed: " + b.String()
	return sk
}

// appSources returns the application's source, sources and Source
// Hydrator dry source.
func appSources(app argocd.Application) []argocd.ApplicationSource {
	specs, _ := sourcesOf(app)
	return specs
}
