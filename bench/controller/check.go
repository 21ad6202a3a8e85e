package main

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// check fails the benchmark when the first pass did not patch exactly the
// moved Applications, when an Application is not at the newest tag
// afterwards, or when a pass listed a repository's tags more than once.
func check(ctx context.Context, cfg config, k *kubeEnv, reg *benchRegistry, ns string, n int, res childResult) error {
	if got := res.Passes[0].Patched; got != cfg.moved {
		return fmt.Errorf("first pass patched %d applications, want %d", got, cfg.moved)
	}
	if got := res.Passes[1].Patched; got != 0 {
		return fmt.Errorf("second pass patched %d applications, want 0", got)
	}
	for i, p := range res.Passes {
		listings := 0
		for kind, c := range p.RegistryKinds {
			if strings.Contains(kind, "tags") {
				listings += c
			}
		}
		// RunLegacy shares the registry cycle of the interval, so a second
		// legacy pass within it lists nothing; RunOnce starts afresh.
		want := min(cfg.images, n)
		if listings != want && (i == 0 || listings != 0 || !cfg.legacy) {
			return fmt.Errorf("pass %d listed tags %d times, want %d (one per repository)", i+1, listings, want)
		}
	}
	// Paged: one response with every realistic Application is more than
	// the API server sends in one go.
	cont := ""
	for {
		var list argocd.ApplicationList
		if err := k.client.List(ctx, &list, client.InNamespace(ns), client.Limit(500), client.Continue(cont)); err != nil {
			return fmt.Errorf("listing applications: %w", err)
		}
		for _, app := range list.Items {
			for _, p := range app.Spec.Source.Helm.Parameters {
				if p.Name == "image.tag" && p.Value != tagOf(cfg.tags-1) {
					return fmt.Errorf("application %s at %s after the pass", app.Name, p.Value)
				}
			}
		}
		if cont = list.Continue; cont == "" {
			return nil
		}
	}
}
