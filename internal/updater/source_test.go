package updater

import (
	"context"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
)

// TestPlanDirectorySource: an image of a plain directory source is skipped
// with the reason, without a registry request, unless a manifest target or
// a kustomization/Helm values file says where to write it.
func TestPlanDirectorySource(t *testing.T) {
	git := func(file string) target.WriteBack { return target.WriteBack{Method: target.MethodGit, Target: file} }
	tests := []struct {
		name     string
		source   string
		manifest target.Manifest
		wb       target.WriteBack
		force    bool
		wantSkip bool
	}{
		{name: "directory, default override file", source: "directory", wb: git(""), wantSkip: true},
		{name: "directory, argocd write-back", source: "directory", wb: target.WriteBack{Method: target.MethodArgoCD}, wantSkip: true},
		{name: "directory, forced", source: "directory", wb: git(""), force: true, wantSkip: true},
		{name: "directory with a helm manifest target", source: "directory", manifest: target.Manifest{Kind: target.KindHelm}, wb: git("")},
		{name: "directory with a kustomize image name", source: "directory", manifest: target.Manifest{KustomizeName: "web"}, wb: git("")},
		{name: "directory, kustomization file", source: "directory", wb: git("kustomization:overlay")},
		{name: "directory, helm values file", source: "directory", wb: git("helmvalues:values.yaml")},
		{name: "helm source", source: target.KindHelm, wb: git("")},
		{name: "kustomize source", source: target.KindKustomize, wb: target.WriteBack{Method: target.MethodArgoCD}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &fakeRegistry{tags: map[string][]string{"docker.io/library/app": {"v1", "v2"}}}
			it := item(t, "app", policy.Settings{}, Current{Tag: "v1", Live: true})
			it.Target.Source = target.Source{Kind: tt.source, Path: "plain"}
			it.Target.Manifest, it.Target.WriteBack, it.Target.ForceUpdate = tt.manifest, tt.wb, tt.force
			d := (&Planner{Registry: reg}).Plan(context.Background(), []Item{it})[0]
			if tt.wantSkip {
				if d.Action != ActionSkip || !strings.Contains(d.Reason, `plain directory source (path "plain")`) || reg.calls.Load() != 0 {
					t.Fatalf("got %s (%s) after %d registry calls, want a skip naming the directory source and no registry call", d.Action, d.Reason, reg.calls.Load())
				}
				return
			}
			if d.Action != ActionUpdate || d.NewTag != "v2" {
				t.Fatalf("got %s %q (%s), want the update to v2", d.Action, d.NewTag, d.Reason)
			}
		})
	}
}
