package controller_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
)

// TestManagerReconcilesAndRecordsEvents runs the real manager: the
// reconciler picks up a new ImageUpdater, updates the Application, writes
// the status and records an ImagesUpdated Event. The ImageUpdater lives in
// its own namespace and selects Applications of the watched one.
func TestManagerReconcilesAndRecordsEvents(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.4.0")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	f.engine.WatchNamespaces = []string{ns}
	probeAddr := freeAddr(t)
	mgr, err := controller.NewManager(f.kube.Config, f.engine, controller.ManagerOptions{HealthProbeBindAddress: probeAddr, MetricsBindAddress: "0"})
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
	home := f.kube.Namespace(t) // the ImageUpdater lives outside the watched namespace
	f.createIU(t, home, "updater", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}}}})

	var iu v1alpha1.ImageUpdater
	waitFor(t, "status written", func() bool {
		err := f.kube.Client.Get(context.Background(), types.NamespacedName{Namespace: home, Name: "updater"}, &iu)
		return err == nil && iu.Status.LastCheckedAt != nil
	})
	if a := f.app(t, ns, "web"); param(a, "image.tag") != "1.4.0" {
		t.Errorf("app not updated: %+v", a.Spec.Source.Helm.Parameters)
	}
	if iu.Status.ApplicationsMatched != 1 || condition(&iu, v1alpha1.ConditionReady).Status != metav1.ConditionTrue {
		t.Errorf("status: %+v", iu.Status)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		waitFor(t, path, func() bool {
			resp, err := http.Get("http://" + probeAddr + path)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}
	waitFor(t, "ImagesUpdated event", func() bool {
		var list eventsv1.EventList
		if err := f.kube.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return false
		}
		for _, e := range list.Items {
			if e.Reason == controller.EventReason && e.Regarding.Name == "web" && e.Regarding.Kind == "Application" {
				return true
			}
		}
		return false
	})
}

// waitFor polls cond for up to a minute (a generous bound for a loaded
// machine; the loop ends as soon as cond holds).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
