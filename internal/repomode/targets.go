package repomode

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// Items builds the planner's items for the applications whose sources live
// in this repository (repoURLs are the addresses it is known by), reading the
// deployed versions from the checkout at root. Applications selected by an
// ImageUpdater object follow it; other applications carrying the image-list
// annotation follow their annotations (v0.x style). Configured applications
// whose sources live elsewhere come back as skipped, once each. Errors are
// per application or image; the other items still come back.
//
// Targets keep the repository as their application spells it (the
// write-branch template's TargetKey hashes that spelling, as upstream
// does); the runner's writer sends every write to --repo.
func Items(root string, m Manifests, repoURLs []string, layout writeback.Layout) ([]updater.Item, []SkippedApp, []error) {
	byApp := map[target.AppRef]Application{}
	for _, app := range m.Applications {
		byApp[appRef(app.Application, layout.ControllerNamespace)] = app
	}
	targets, errs := collectTargets(m, layout.ControllerNamespace)
	var items []updater.Item
	var skipped []SkippedApp
	seen := map[target.AppRef]bool{}
	for _, t := range targets {
		app := byApp[t.App]
		sources, elsewhere := localSources(root, app.Application, t, repoURLs)
		if len(sources) == 0 {
			if !seen[t.App] {
				sk := skippedApp(app, t.App, repoURLs)
				if elsewhere != "" {
					sk.Reason = "not managed: " + elsewhere
				}
				skipped = append(skipped, sk)
				seen[t.App] = true
			}
			continue
		}
		it, err := item(root, app.Application, t, sources, layout)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: application %s image %s: %w", app.File, t.App, t.Image.Key(), err))
			continue
		}
		items = append(items, it)
	}
	return items, skipped, errs
}

// appRef names an application, an empty namespace meaning Argo CD's own.
func appRef(app argocd.Application, defaultNamespace string) target.AppRef {
	ns := app.Namespace
	if ns == "" {
		ns = defaultNamespace
	}
	return target.AppRef{Namespace: ns, Name: app.Name}
}

// collectTargets applies the ImageUpdater objects (in name order; an
// application claimed by two is reported and left to the first), then the
// annotations of unclaimed applications.
func collectTargets(m Manifests, defaultNamespace string) ([]target.Target, []error) {
	var targets []target.Target
	var errs []error
	ius := slices.Clone(m.ImageUpdaters)
	slices.SortFunc(ius, func(a, b ImageUpdater) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	claimed := map[target.AppRef]string{}
	for _, iu := range ius {
		ns := iu.Namespace
		if ns == "" {
			ns = defaultNamespace
		}
		var apps []argocd.Application
		for _, app := range m.Applications {
			if appRef(app.Application, defaultNamespace).Namespace == ns {
				a := app.Application
				a.Namespace = ns
				apps = append(apps, a)
			}
		}
		owner := ns + "/" + iu.Name
		ts, terrs := target.FromImageUpdater(&iu.ImageUpdater, apps)
		for _, err := range terrs {
			errs = append(errs, fmt.Errorf("%s: ImageUpdater %s: %w", iu.File, owner, err))
		}
		reported := map[target.AppRef]bool{}
		for _, t := range ts {
			if first, ok := claimed[t.App]; ok && first != owner {
				if !reported[t.App] {
					errs = append(errs, fmt.Errorf("%s: ImageUpdater %s: application %s is already managed by ImageUpdater %s; ignored here", iu.File, owner, t.App, first))
					reported[t.App] = true
				}
				continue
			}
			claimed[t.App] = owner
			targets = append(targets, t)
		}
		// A selected application with broken settings stays claimed: it
		// must not fall back to its annotations.
		for _, ref := range target.Selected(&iu.ImageUpdater, apps) {
			if _, ok := claimed[ref]; !ok {
				claimed[ref] = owner
			}
		}
	}
	for _, app := range m.Applications {
		ref := appRef(app.Application, defaultNamespace)
		if _, ok := claimed[ref]; ok || !target.HasImageList(app.Annotations) {
			continue
		}
		ts, terrs := target.FromAnnotations(ref, app.Annotations)
		for _, err := range terrs {
			errs = append(errs, fmt.Errorf("%s: %w", app.File, err))
		}
		targets = append(targets, ts...)
	}
	return targets, errs
}

// item picks the source that holds the image (the first local source whose
// manifests name it, else the first local source) and reads the deployed
// version from it: from the files, else from the Application's own
// overrides (a chart from a chart repository has no files here).
func item(root string, app argocd.Application, t target.Target, sources []target.Source, layout writeback.Layout) (updater.Item, error) {
	// In repo mode every change is a commit to this repository.
	if t.WriteBack.Method != target.MethodGit {
		t.WriteBack = target.WriteBack{Method: target.MethodGit, Repository: t.WriteBack.Repository}
	}
	var chosen *updater.Item
	for _, s := range sources {
		t.Source = s
		v, from, found, err := layout.Current(root, t)
		if err != nil {
			return updater.Item{}, err
		}
		if found && s.Chart != "" && !isWriteBackFile(layout, t, from) {
			// A chart's own values live in the chart, not here.
			v, found = writeback.Value{}, false
		}
		it := updater.Item{Target: t, Current: updater.Current{Tag: v.Tag, Digest: v.Digest, Live: found}}
		if !found {
			it.Current = specCurrent(app, t)
		}
		if it.Current.Live {
			return it, nil
		}
		if chosen == nil {
			chosen = &it
		}
	}
	return *chosen, nil
}

func isWriteBackFile(layout writeback.Layout, t target.Target, f writeback.File) bool {
	wb, err := layout.FileFor(t)
	return err == nil && wb.Path == f.Path
}

// specCurrent reads the version the Application's own overrides (Helm
// parameters, Kustomize images) set for the image in source t.Source.
func specCurrent(app argocd.Application, t target.Target) updater.Current {
	if t.Manifest.Kind == "" && t.Source.Kind != "directory" {
		t.Manifest.Kind = t.Source.Kind
	}
	d := target.DeployedState(&app, t)
	if d.Tag == "" && d.Digest == "" {
		return updater.Current{}
	}
	return updater.Current{Tag: d.Tag, Digest: d.Digest, Live: true}
}

// localSources returns the application's sources that this repository
// holds, with their kind detected from the application or the files:
//   - a Git source (spec.source, spec.sources[i], or a Source Hydrator's
//     spec.sourceHydrator.drySource) whose repoURL is this repository;
//   - a Helm chart from a chart repository, when git write-back names this
//     repository (git-repository / writeBackConfig.gitConfig.repository):
//     its override file goes to the repository's root, on the branch repo
//     mode reads.
//
// A git-repository setting naming another repository makes every source
// foreign (its changes belong there); elsewhere then says why.
func localSources(root string, app argocd.Application, t target.Target, repoURLs []string) (out []target.Source, elsewhere string) {
	writeRepo := t.WriteBack.Repository
	if writeRepo != "" && !matchesAny(writeRepo, repoURLs) {
		return nil, fmt.Sprintf("its git write-back goes to %s (git-repository / gitConfig.repository), not this repository (%s)", RedactURL(writeRepo), RedactURL(repoURLs[0]))
	}
	specs, index := sourcesOf(app)
	for i, s := range specs {
		var src target.Source
		switch {
		case s.Chart == "" && matchesAny(s.RepoURL, repoURLs):
			src = target.Source{RepoURL: s.RepoURL, Path: s.Path, TargetRevision: s.TargetRevision, Index: index[i], Kind: sourceKind(root, s)}
		case s.Chart != "" && writeRepo != "" && t.WriteBack.Method == target.MethodGit:
			// The chart's targetRevision is a chart version, not a branch.
			src = target.Source{RepoURL: s.RepoURL, Chart: s.Chart, Index: index[i], Kind: target.KindHelm}
		default:
			continue
		}
		if s.Helm != nil {
			src.ValueFiles = s.Helm.ValueFiles
		}
		out = append(out, src)
	}
	return out, ""
}

// sourcesOf lists the application's sources with their Source.Index:
// spec.source, spec.sources, and a Source Hydrator's dry source.
func sourcesOf(app argocd.Application) ([]argocd.ApplicationSource, []int) {
	var specs []argocd.ApplicationSource
	var index []int
	if app.Spec.Source != nil {
		specs, index = append(specs, *app.Spec.Source), append(index, -1)
	}
	for i, s := range app.Spec.Sources {
		specs, index = append(specs, s), append(index, i)
	}
	if h := app.Spec.SourceHydrator; h != nil {
		specs, index = append(specs, h.DrySource.Source()), append(index, target.IndexDrySource)
	}
	return specs, index
}

func matchesAny(u string, urls []string) bool {
	for _, x := range urls {
		if SameRepository(u, x) {
			return true
		}
	}
	return false
}

func sourceKind(root string, s argocd.ApplicationSource) string {
	switch {
	case s.Helm != nil:
		return target.KindHelm
	case s.Kustomize != nil:
		return target.KindKustomize
	case s.Plugin != nil:
		return target.KindPlugin
	}
	// A kustomization wins over a Chart.yaml beside it, as in Argo CD's
	// discovery (which sees Chart.yaml first and then overrides it).
	dir := filepath.Join(root, filepath.FromSlash(s.Path))
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if exists(filepath.Join(dir, n)) {
			return target.KindKustomize
		}
	}
	if exists(filepath.Join(dir, "Chart.yaml")) {
		return target.KindHelm
	}
	return "directory"
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
