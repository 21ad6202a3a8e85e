package repomode

import (
	"fmt"
	"os"
	"path/filepath"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// Items builds the planner's items for the applications whose sources live
// in this repository (repoURLs are the addresses it is known by), reading the
// deployed versions from the checkout at root. Errors are per application or
// image; the other items still come back.
func Items(root string, apps []Application, repoURLs []string, layout writeback.Layout, writeURL string) ([]updater.Item, []error) {
	var items []updater.Item
	var errs []error
	for _, app := range apps {
		if !target.HasImageList(app.Annotations) {
			continue
		}
		ref := target.AppRef{Namespace: app.Namespace, Name: app.Name}
		sources := localSources(root, app.Application, repoURLs)
		if len(sources) == 0 {
			continue // not deployed from this repository
		}
		targets, terrs := target.FromAnnotations(ref, app.Annotations)
		for _, err := range terrs {
			errs = append(errs, fmt.Errorf("%s: %w", app.File, err))
		}
		for _, t := range targets {
			t.AppLabels = app.Labels
			it, err := item(root, t, sources, layout, writeURL)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: application %s image %s: %w", app.File, ref, t.Image.Key(), err))
				continue
			}
			items = append(items, it)
		}
	}
	return items, errs
}

// item picks the source that holds the image (the first local source whose
// manifests name it, else the first local source) and reads the deployed
// version from it.
func item(root string, t target.Target, sources []target.Source, layout writeback.Layout, writeURL string) (updater.Item, error) {
	// In repo mode every change is a commit to this repository.
	if t.WriteBack.Method != target.MethodGit {
		t.WriteBack = target.WriteBack{Method: target.MethodGit}
	}
	t.WriteBack.Repository = writeURL
	var chosen *updater.Item
	for _, s := range sources {
		t.Source = s
		v, _, found, err := layout.Current(root, t)
		if err != nil {
			return updater.Item{}, err
		}
		it := updater.Item{Target: t, Current: updater.Current{Tag: v.Tag, Digest: v.Digest, Live: found}}
		if found {
			return it, nil
		}
		if chosen == nil {
			chosen = &it
		}
	}
	return *chosen, nil
}

// localSources returns the application's sources that live in this
// repository, with their kind detected from the application or the files.
func localSources(root string, app argocd.Application, repoURLs []string) []target.Source {
	var specs []argocd.ApplicationSource
	index := []int{}
	if app.Spec.Source != nil {
		specs, index = append(specs, *app.Spec.Source), append(index, -1)
	}
	for i, s := range app.Spec.Sources {
		specs, index = append(specs, s), append(index, i)
	}
	var out []target.Source
	for i, s := range specs {
		if !matchesAny(s.RepoURL, repoURLs) || s.Chart != "" {
			continue
		}
		src := target.Source{RepoURL: s.RepoURL, Path: s.Path, TargetRevision: s.TargetRevision, Index: index[i], Kind: sourceKind(root, s)}
		if s.Helm != nil {
			src.ValueFiles = s.Helm.ValueFiles
		}
		out = append(out, src)
	}
	return out
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
	dir := filepath.Join(root, filepath.FromSlash(s.Path))
	if exists(filepath.Join(dir, "Chart.yaml")) {
		return target.KindHelm
	}
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if exists(filepath.Join(dir, n)) {
			return target.KindKustomize
		}
	}
	return "directory"
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
