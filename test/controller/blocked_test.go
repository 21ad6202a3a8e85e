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
	"github.com/imagepilot/imagepilot/test/infra"
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
		extra []v1alpha1.ApplicationRef // further refs
		field string
	}{
		"invalid label selector, another ref matches": {
			ref: v1alpha1.ApplicationRef{Images: []v1alpha1.ImageConfig{valid()},
				LabelSelectors: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Equals", Values: []string{"web"}}}}},
			extra: []v1alpha1.ApplicationRef{{NamePattern: "*", Images: []v1alpha1.ImageConfig{valid()}}},
			field: "spec.applicationRefs[0].labelSelectors",
		},
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
			iu := f.createIU(t, ns, "broken", v1alpha1.ImageUpdaterSpec{ApplicationRefs: append([]v1alpha1.ApplicationRef{ref}, tc.extra...)})
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

// TestUnsupportedSettingsLeaveApplicationAlone: signature verification is
// not supported yet, so an application with it is not updated (no
// unverified image), and the status, a Warning Event and the log say why.
func TestUnsupportedSettingsLeaveApplicationAlone(t *testing.T) {
	g := scSetupGit(t, map[string]string{"apps/web/Chart.yaml": "name: web\n"})
	ns := g.ns
	web := g.push(t, "team/web", "1.0.0", "1.2.0")
	before := strings.TrimSpace(g.gitRev(t))
	verify := &v1alpha1.ImagesVerification{Enabled: ptr(true), CosignKey: &v1alpha1.SecretKeyRef{SecretName: "cosign", Key: "cosign.pub"}}
	image := func(v *v1alpha1.ImagesVerification) []v1alpha1.ImageConfig {
		return []v1alpha1.ImageConfig{{Alias: "web", ImageName: web, ImagesVerification: v}}
	}
	gitWB := &v1alpha1.WriteBackConfig{Method: "git:secret:" + ns + "/git-creds"}
	for _, tc := range []struct {
		name, app string
		spec      v1alpha1.ImageUpdaterSpec
		field     string
	}{
		{name: "verification on the object", app: "v-spec", field: "spec.imagesVerification", spec: v1alpha1.ImageUpdaterSpec{
			WriteBackConfig: gitWB, ImagesVerification: verify,
			ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "v-spec", Images: image(nil)}}}},
		{name: "verification on the image", app: "v-image", field: "spec.applicationRefs[0].images[0].imagesVerification", spec: v1alpha1.ImageUpdaterSpec{
			WriteBackConfig: gitWB, ImagesVerification: &v1alpha1.ImagesVerification{Enabled: ptr(false)},
			ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "v-image", Images: image(&v1alpha1.ImagesVerification{Enabled: ptr(true), CosignKey: verify.CosignKey})}}}},
		{name: "verification with argocd write-back", app: "v-argocd", field: "spec.applicationRefs[0].imagesVerification", spec: v1alpha1.ImageUpdaterSpec{
			ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "v-argocd", ImagesVerification: verify, Images: image(nil)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.createApp(t, helmApp(ns, tc.app, []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
			app := g.app(t, ns, tc.app)
			app.Spec.Source.RepoURL, app.Spec.Source.Path, app.Spec.Source.TargetRevision = g.srv.RepoURL("gitops.git"), "apps/web", "main"
			if err := g.kube.Client.Update(context.Background(), app); err != nil {
				t.Fatal(err)
			}
			iu := g.createIU(t, ns, tc.app, tc.spec)
			out := g.reconcile(t, iu)
			if len(out.Decisions) != 0 {
				t.Errorf("planned: %+v", out.Decisions)
			}
			if got := param(g.app(t, ns, tc.app), "image.tag"); got != "1.0.0" {
				t.Errorf("application updated to %s", got)
			}
			wantConditions(t, iu, map[string]wantCond{
				v1alpha1.ConditionError: {metav1.ConditionTrue, v1alpha1.ReasonPartialErrors, "unsupported: unsupported setting: application " + ns + "/" + tc.app + ": " + tc.field},
			})
			g.mu.Lock()
			warnings := strings.Join(g.warnings[ns+"/"+tc.app], "\n")
			g.mu.Unlock()
			if !strings.HasPrefix(warnings, controller.WarningUnsupportedConfiguration+": ") || !strings.Contains(warnings, tc.field+": ") || !strings.Contains(warnings, "not supported yet") {
				t.Errorf("warning events: %q", warnings)
			}
		})
	}
	if after := strings.TrimSpace(g.gitRev(t)); after != before {
		t.Errorf("main moved %s -> %s", before, after)
	}
	logs := g.logs.String()
	if !strings.Contains(logs, "application not updated: "+controller.WarningUnsupportedConfiguration) || !strings.Contains(logs, "signature verification policies are not supported yet") {
		t.Errorf("log lacks the unsupported line:\n%s", logs)
	}
}

func (g *scGitFixture) gitRev(t *testing.T) string {
	t.Helper()
	return infra.GitRun(t, g.bare, "rev-parse", "main")
}
