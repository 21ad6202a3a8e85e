package controller_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/writeback"
	"github.com/imagepilot/imagepilot/test/infra"
)

type fixture struct {
	kube   *infra.KubeEnv
	reg    *infra.Registry
	engine *controller.Engine
	logs   *strings.Builder
	// logMu guards logs (the engine writes it from the manager's goroutines).
	logMu sync.Mutex

	mu       sync.Mutex
	events   map[string]string
	warnings map[string][]string // namespace/name -> "reason: message"
}

func setupEngine(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{kube: infra.StartKube(t), events: map[string]string{}, warnings: map[string][]string{}, logs: &strings.Builder{}}
	f.reg = infra.StartRegistry(t, infra.RegistryOptions{})
	conf, err := registryconf.Parse([]byte(fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", f.reg.Host, f.reg.URL)))
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(host, repo string) registryconf.Registry { return conf.Lookup(host, repo) }
	rc, err := registry.New(registry.WithResolver(lookup))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{mu: &f.logMu, w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.engine = &controller.Engine{
		Client:   f.kube.Client,
		Resolver: access.NewResolver(conf, kube.SecretGetter{Reader: f.kube.Client}),
		Registry: rc,
		ArgoCD:   &writeback.ArgoCDWriter{Client: f.kube.Client, Logger: logger},
		Interval: time.Minute,
		Logger:   logger,
		Events: func(app *argocd.Application, msg string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.events[app.Namespace+"/"+app.Name] = msg
		},
		Warnings: func(app *argocd.Application, reason, msg string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			k := app.Namespace + "/" + app.Name
			f.warnings[k] = append(f.warnings[k], reason+": "+msg)
		},
	}
	return f
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (f *fixture) push(t *testing.T, repo string, tags ...string) string {
	t.Helper()
	created := map[string]time.Time{}
	for i, tag := range tags {
		created[tag] = time.Date(2026, 1, 1, i, 0, 0, 0, time.UTC)
	}
	infra.PushTags(t, f.reg.Host+"/"+repo, created, false, nil)
	return f.reg.Host + "/" + repo
}

func (f *fixture) createApp(t *testing.T, app *argocd.Application) {
	t.Helper()
	if err := f.kube.CreateApplication(context.Background(), app); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) createIU(t *testing.T, ns, name string, spec v1alpha1.ImageUpdaterSpec) *v1alpha1.ImageUpdater {
	t.Helper()
	iu := &v1alpha1.ImageUpdater{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	if err := f.kube.Client.Create(context.Background(), iu); err != nil {
		t.Fatal(err)
	}
	// The API server is shared by the package's tests: leave no
	// ImageUpdater behind for cluster-wide passes of later tests.
	t.Cleanup(func() {
		if err := f.kube.Client.Delete(context.Background(), iu); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting ImageUpdater: %v", err)
		}
	})
	return iu
}

func (f *fixture) reconcile(t *testing.T, iu *v1alpha1.ImageUpdater) controller.Outcome {
	t.Helper()
	ctx := context.Background()
	if err := f.kube.Client.Get(ctx, types.NamespacedName{Namespace: iu.Namespace, Name: iu.Name}, iu); err != nil {
		t.Fatal(err)
	}
	out, err := f.engine.ReconcileImageUpdater(ctx, iu)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.kube.Client.Get(ctx, types.NamespacedName{Namespace: iu.Namespace, Name: iu.Name}, iu); err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) app(t *testing.T, ns, name string) *argocd.Application {
	t.Helper()
	var app argocd.Application
	if err := f.kube.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &app); err != nil {
		t.Fatal(err)
	}
	return &app
}

func helmApp(ns, name string, params []argocd.HelmParameter, live ...string) *argocd.Application {
	return infra.KubeApplication(ns, name, argocd.ApplicationSource{RepoURL: "https://git.example/" + name + ".git", Path: "chart",
		Helm: &argocd.ApplicationSourceHelm{Parameters: params}}, argocd.SourceTypeHelm, live...)
}

func param(app *argocd.Application, name string) string {
	for _, p := range app.Spec.Source.Helm.Parameters {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func condition(iu *v1alpha1.ImageUpdater, typ string) metav1.Condition {
	if c := apimeta.FindStatusCondition(iu.Status.Conditions, typ); c != nil {
		return *c
	}
	return metav1.Condition{}
}

func ptr[T any](v T) *T { return &v }

func TestImageUpdaterArgoCDWriteBack(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.1.0", "1.2.0", "2.0.0")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}, {Name: "replicas", Value: "2"}}, web+":1.0.0"))
	f.createApp(t, infra.KubeApplication(ns, "kust-a", argocd.ApplicationSource{RepoURL: "https://git.example/k.git", Path: "k",
		Kustomize: &argocd.ApplicationSourceKustomize{Images: []string{web + ":1.0.0"}}}, argocd.SourceTypeKustomize, web+":1.0.0"))
	f.createApp(t, infra.KubeApplication(ns, "plug", argocd.ApplicationSource{RepoURL: "https://git.example/p.git", Path: "p",
		Plugin: &argocd.ApplicationSourcePlugin{Name: "render"}}, argocd.SourceTypePlugin, web+":1.1.0"))
	f.createApp(t, helmApp(ns, "dead", nil, "docker.io/library/redis:7"))
	iu := f.createIU(t, ns, "updater", v1alpha1.ImageUpdaterSpec{
		CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{AllowTags: ptr("regexp:^1\\.")},
		ApplicationRefs: []v1alpha1.ApplicationRef{
			{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web,
				ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "image.repository", Tag: "image.tag"}}}}},
			{NamePattern: "kust-*", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
			{NamePattern: "plug", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web,
				ManifestTargets: &v1alpha1.ManifestTarget{Plugin: &v1alpha1.PluginTarget{Spec: "IMAGE"}}}}},
			{NamePattern: "dead", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
		},
	})
	out := f.reconcile(t, iu)
	if a := f.app(t, ns, "web"); param(a, "image.tag") != "1.2.0" || param(a, "image.repository") != web || param(a, "replicas") != "2" {
		t.Errorf("web params: %+v", a.Spec.Source.Helm.Parameters)
	}
	if a := f.app(t, ns, "kust-a"); strings.Join(a.Spec.Source.Kustomize.Images, ",") != web+":1.2.0" {
		t.Errorf("kustomize images: %v", a.Spec.Source.Kustomize.Images)
	}
	if a := f.app(t, ns, "plug"); len(a.Spec.Source.Plugin.Env) != 1 || a.Spec.Source.Plugin.Env[0].Value != web+":1.2.0" {
		t.Errorf("plugin env: %+v", a.Spec.Source.Plugin.Env)
	}
	if a := f.app(t, ns, "dead"); a.Spec.Source.Helm != nil && len(a.Spec.Source.Helm.Parameters) > 0 {
		t.Errorf("non-live app changed: %+v", a.Spec.Source.Helm)
	}
	var deadReason string
	for _, d := range out.Decisions {
		if d.Target.App.Name == "dead" {
			deadReason = string(d.Action) + ": " + d.Reason
		}
	}
	if !strings.HasPrefix(deadReason, "skip: ") || !strings.Contains(deadReason, "not live") {
		t.Errorf("dead decision: %q", deadReason)
	}
	st := iu.Status
	if st.ApplicationsMatched != 4 || st.ImagesManaged != 4 || st.ObservedGeneration != iu.Generation || st.LastCheckedAt == nil || st.LastUpdatedAt == nil {
		t.Errorf("status: %+v", st)
	}
	if len(st.RecentUpdates) != 1 || st.RecentUpdates[0].NewVersion != "1.2.0" || st.RecentUpdates[0].ApplicationsUpdated != 3 {
		t.Errorf("recent updates: %+v", st.RecentUpdates)
	}
	if c := condition(iu, v1alpha1.ConditionReady); c.Status != metav1.ConditionTrue {
		t.Errorf("ready: %+v", c)
	}
	if c := condition(iu, v1alpha1.ConditionError); c.Status != metav1.ConditionFalse {
		t.Errorf("error: %+v", c)
	}
	if len(f.events) != 3 || !strings.Contains(f.events[ns+"/web"], "1.2.0") {
		t.Errorf("events: %v", f.events)
	}
	logs := f.logs.String()
	for _, want := range []string{
		"Successfully updated image '" + web + ":1.0.0' to '" + web + ":1.2.0', but pending spec update (dry run=false)",
		"Committing 1 parameter update(s) for application web",
		"Processing results: applications=4 images_considered=4 images_skipped=1 images_updated=3 errors=0",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	// A second pass finds nothing to do.
	out = f.reconcile(t, iu)
	if updated, _, errored := out.Counts(); updated != 0 || errored != 0 {
		t.Errorf("second pass: updated %d errors %d", updated, errored)
	}
}

func TestImageUpdaterStatusZeroAppsAndMisconfigured(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0")
	f.createApp(t, helmApp(ns, "web", nil, web+":1.0.0"))
	none := f.createIU(t, ns, "none", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "nothing-*", Images: []v1alpha1.ImageConfig{{Alias: "a", ImageName: web}}}}})
	f.reconcile(t, none)
	// Upstream's reasons; an ImageUpdater that matches nothing is Ready.
	wantConditions(t, none, map[string]wantCond{
		v1alpha1.ConditionReady:       {metav1.ConditionTrue, v1alpha1.ReasonReconcileSucceeded, "No Application matches spec.applicationRefs"},
		v1alpha1.ConditionError:       {metav1.ConditionFalse, v1alpha1.ReasonNoErrors, ""},
		v1alpha1.ConditionReconciling: {metav1.ConditionFalse, v1alpha1.ReasonIdle, ""},
	})
	if none.Status.ApplicationsMatched != 0 || none.Status.LastCheckedAt == nil {
		t.Errorf("zero apps status: %+v", none.Status)
	}
	bad := f.createIU(t, ns, "bad", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web", Images: []v1alpha1.ImageConfig{
		{Alias: "a", ImageName: web, CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{AllowTags: ptr("regexp:([")}}}}}})
	f.reconcile(t, bad)
	wantConditions(t, bad, map[string]wantCond{
		v1alpha1.ConditionReady:       {metav1.ConditionTrue, v1alpha1.ReasonReconcileCompletedWithErrors, "Reconciled 1 applications, 0 images updated"},
		v1alpha1.ConditionError:       {metav1.ConditionTrue, v1alpha1.ReasonPartialErrors, "spec.applicationRefs[0].images[0].commonUpdateSettings.allowTags"},
		v1alpha1.ConditionReconciling: {metav1.ConditionFalse, v1alpha1.ReasonIdle, ""},
	})
}

type wantCond struct {
	status metav1.ConditionStatus
	reason string
	msg    string // substring
}

func wantConditions(t *testing.T, iu *v1alpha1.ImageUpdater, want map[string]wantCond) {
	t.Helper()
	for typ, w := range want {
		c := condition(iu, typ)
		if c.Status != w.status || c.Reason != w.reason || !strings.Contains(c.Message, w.msg) || c.ObservedGeneration != iu.Generation {
			t.Errorf("condition %s = %+v, want %+v", typ, c, w)
		}
	}
}

func TestImageUpdaterConflictFirstByNameActs(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.1.0")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	spec := v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "*", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}}}}
	first := f.createIU(t, ns, "a-first", spec)
	second := f.createIU(t, ns, "b-second", spec)
	out := f.reconcile(t, second)
	if len(out.Decisions) != 0 {
		t.Errorf("second acted: %+v", out.Decisions)
	}
	if c := condition(second, v1alpha1.ConditionError); c.Reason != v1alpha1.ReasonPartialErrors || !strings.Contains(c.Message, "conflict: application "+ns+"/web is also selected by ImageUpdater "+ns+"/a-first") {
		t.Errorf("second conflict: %+v", c)
	}
	f.reconcile(t, first)
	if c := condition(first, v1alpha1.ConditionError); c.Reason != v1alpha1.ReasonPartialErrors || !strings.Contains(c.Message, "b-second") {
		t.Errorf("first conflict: %+v", c)
	}
	if a := f.app(t, ns, "web"); param(a, "image.tag") != "1.1.0" {
		t.Errorf("first did not act: %+v", a.Spec.Source.Helm.Parameters)
	}
}

func TestLegacyAnnotationsAndOtherNamespaces(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.3.0")
	annotated := func(name string) *argocd.Application {
		a := helmApp(ns, name, []argocd.HelmParameter{{Name: "web.tag", Value: "1.0.0"}}, web+":1.0.0")
		a.Annotations = map[string]string{
			target.AnnotationPrefix + "image-list":          "web=" + web,
			target.AnnotationPrefix + "web.helm.image-tag":  "web.tag",
			target.AnnotationPrefix + "web.helm.image-name": "web.repo",
		}
		return a
	}
	f.createApp(t, annotated("legacy-a"))
	f.createApp(t, annotated("other-b"))
	f.engine.WatchNamespaces = []string{ns}
	legacy, err := controller.NewLegacy([]string{"legacy-*"}, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.engine.RunLegacy(context.Background(), legacy)
	if err != nil {
		t.Fatal(err)
	}
	if updated, _, errored := out.Counts(); updated != 1 || errored != 0 {
		t.Fatalf("legacy: updated %d errors %d %v", updated, errored, out.Problems)
	}
	if a := f.app(t, ns, "legacy-a"); param(a, "web.tag") != "1.3.0" || param(a, "web.repo") != web {
		t.Errorf("legacy-a: %+v", a.Spec.Source.Helm.Parameters)
	}
	if a := f.app(t, ns, "other-b"); param(a, "web.tag") != "1.0.0" {
		t.Errorf("other-b changed: %+v", a.Spec.Source.Helm.Parameters)
	}

	// An ImageUpdater in its own namespace, with useAnnotations, selecting
	// applications of the watched namespace.
	home := f.kube.Namespace(t)
	iu := f.createIU(t, home, "annotations", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "other-*", UseAnnotations: true}}})
	out = f.reconcile(t, iu)
	if a := f.app(t, ns, "other-b"); param(a, "web.tag") != "1.3.0" {
		t.Errorf("other-b not updated through useAnnotations: %+v %+v", a.Spec.Source.Helm.Parameters, out.Decisions)
	}
	if iu.Status.ApplicationsMatched != 1 {
		t.Errorf("status: %+v", iu.Status)
	}
}

// TestRunOnceReconcilesEveryImageUpdater runs the --once pass: every
// ImageUpdater gets a status, whatever its namespace.
func TestRunOnceReconcilesEveryImageUpdater(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	home := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.0.2")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	f.engine.WatchNamespaces = []string{ns}
	spec := v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}}}}
	f.createIU(t, home, "once", spec)
	if err := f.engine.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := f.app(t, ns, "web"); param(a, "image.tag") != "1.0.2" {
		t.Errorf("not updated: %+v", a.Spec.Source.Helm.Parameters)
	}
	var iu v1alpha1.ImageUpdater
	if err := f.kube.Client.Get(context.Background(), types.NamespacedName{Namespace: home, Name: "once"}, &iu); err != nil {
		t.Fatal(err)
	}
	if iu.Status.LastCheckedAt == nil || iu.Status.ApplicationsMatched != 1 {
		t.Errorf("status: %+v", iu.Status)
	}
}
