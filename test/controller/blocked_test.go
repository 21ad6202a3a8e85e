package controller_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/target"
)

// TestBrokenSelectionLeavesApplicationAlone: an application an ImageUpdater
// selects with a broken setting is written neither with the ImageUpdater's
// other (valid) images nor, in legacy mode, with its own annotations. The
// ImageUpdater's Error condition and a Warning Event on the Application say
// what is wrong.
func TestBrokenSelectionLeavesApplicationAlone(t *testing.T) {
	f := setupEngine(t)
	web := f.push(t, "team/web", "1.0.0", "1.1.0")
	db := f.push(t, "team/db", "2.0.0", "2.1.0")
	valid := func() v1alpha1.ImageConfig {
		return v1alpha1.ImageConfig{Alias: "web", ImageName: web, ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "web.repo", Tag: "web.tag"}}}
	}
	broken := func(s v1alpha1.CommonUpdateSettings) v1alpha1.ImageConfig {
		return v1alpha1.ImageConfig{Alias: "db", ImageName: db, CommonUpdateSettings: &s,
			ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "db.repo", Tag: "db.tag"}}}
	}
	for name, tc := range map[string]struct {
		ref   v1alpha1.ApplicationRef
		field string
	}{
		"strategy typo": {
			ref:   v1alpha1.ApplicationRef{Images: []v1alpha1.ImageConfig{valid(), broken(v1alpha1.CommonUpdateSettings{UpdateStrategy: ptr("newest-buld")})}},
			field: "spec.applicationRefs[0].images[1].commonUpdateSettings.updateStrategy",
		},
		"invalid allowTags regexp": {
			ref:   v1alpha1.ApplicationRef{Images: []v1alpha1.ImageConfig{valid(), broken(v1alpha1.CommonUpdateSettings{AllowTags: ptr("regexp:^v[0-9")})}},
			field: "spec.applicationRefs[0].images[1].commonUpdateSettings.allowTags",
		},
		"bad write-branch template": {
			ref: v1alpha1.ApplicationRef{Images: []v1alpha1.ImageConfig{valid()},
				WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git", GitConfig: &v1alpha1.GitConfig{Branch: "main:image-updater-{{.SHA256"}}},
			field: "spec.applicationRefs[0].writeBackConfig.gitConfig.branch",
		},
	} {
		t.Run(name, func(t *testing.T) {
			ns := f.kube.Namespace(t)
			f.engine.WatchNamespaces = []string{ns}
			app := helmApp(ns, "web", []argocd.HelmParameter{{Name: "web.tag", Value: "1.0.0"}, {Name: "db.tag", Value: "2.0.0"}}, web+":1.0.0", db+":2.0.0")
			// Annotations that, used instead, would update both images
			// through the Application (argocd write-back).
			app.Annotations = map[string]string{
				target.AnnotationPrefix + "image-list":          "web=" + web + ",db=" + db,
				target.AnnotationPrefix + "web.helm.image-tag":  "web.tag",
				target.AnnotationPrefix + "web.helm.image-name": "web.repo",
				target.AnnotationPrefix + "db.helm.image-tag":   "db.tag",
				target.AnnotationPrefix + "db.helm.image-name":  "db.repo",
			}
			f.createApp(t, app)
			ref := tc.ref
			ref.NamePattern = "web"
			iu := f.createIU(t, ns, "broken", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{ref}})
			out := f.reconcile(t, iu)
			legacy, err := controller.NewLegacy(nil, "")
			if err != nil {
				t.Fatal(err)
			}
			lout, err := f.engine.RunLegacy(context.Background(), legacy)
			if err != nil {
				t.Fatal(err)
			}
			got := f.app(t, ns, "web")
			if param(got, "web.tag") != "1.0.0" || param(got, "db.tag") != "2.0.0" || param(got, "web.repo") != "" {
				t.Errorf("application changed: %+v", got.Spec.Source.Helm.Parameters)
			}
			if len(out.Decisions) != 0 || lout.Applications != 0 {
				t.Errorf("acted on: imageupdater %+v, legacy %d application(s)", out.Decisions, lout.Applications)
			}
			wantConditions(t, iu, map[string]wantCond{
				v1alpha1.ConditionError: {metav1.ConditionTrue, v1alpha1.ReasonPartialErrors, tc.field},
				v1alpha1.ConditionReady: {metav1.ConditionTrue, v1alpha1.ReasonReconcileCompletedWithErrors, "Reconciled 1 applications, 0 images updated"},
			})
			f.mu.Lock()
			warnings := strings.Join(f.warnings[ns+"/web"], "\n")
			f.mu.Unlock()
			if !strings.HasPrefix(warnings, controller.WarningInvalidConfiguration+": ImageUpdater "+ns+"/broken leaves this application alone") || !strings.Contains(warnings, tc.field) {
				t.Errorf("warning events: %q", warnings)
			}
		})
	}
}
