package controller_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/target"
)

// TestManagerCacheIsStrippedAndWritesOnlyPatch runs the manager against the
// real API server: its informer caches Applications without managedFields
// and unneeded annotations, and the update costs one PATCH and no GET of
// the Application (the cached object's resourceVersion is used).
func TestManagerCacheIsStrippedAndWritesOnlyPatch(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.4.0")
	app := helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0")
	app.Annotations = map[string]string{
		"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{}}`,
		"notified.notifications.argoproj.io":               "{}",
		target.AnnotationPrefix + "note":                   "kept",
	}
	f.createApp(t, app)
	counter := &requestCounter{n: map[string]int{}}
	cfg := counter.wrap(f.kube.Config)
	writer, err := client.New(cfg, client.Options{Scheme: f.kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	f.engine.ArgoCD.Client = writer
	f.engine.WatchNamespaces = []string{ns}
	mgr, err := controller.NewManager(cfg, f.engine, controller.ManagerOptions{HealthProbeBindAddress: "0", MetricsBindAddress: "0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	f.createIU(t, ns, "updater", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}}}})
	waitFor(t, "application updated", func() bool { return param(f.app(t, ns, "web"), "image.tag") == "1.4.0" })
	var cached argocd.Application
	if err := mgr.GetCache().Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, &cached); err != nil {
		t.Fatal(err)
	}
	if len(cached.ManagedFields) != 0 || len(cached.Annotations) != 1 || cached.Annotations[target.AnnotationPrefix+"note"] != "kept" {
		t.Errorf("cached application keeps managedFields %d, annotations %v", len(cached.ManagedFields), cached.Annotations)
	}
	if len(cached.Status.Summary.Images) != 1 || cached.ResourceVersion == "" {
		t.Errorf("cached application lost what the controller reads: %+v rv=%q", cached.Status, cached.ResourceVersion)
	}
	time.Sleep(200 * time.Millisecond) // let a second reconcile, if any, finish
	got := counter.snapshot()
	if got["get"] != 0 || got["patch"] != 1 || got["update"] != 0 {
		t.Errorf("requests on applications: %v, want 1 patch and no get or update", got)
	}
}
