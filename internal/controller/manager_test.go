package controller

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// TestRateLimiterBacksOff: a failing ImageUpdater is retried after
// seconds, doubling up to the interval, per ImageUpdater; success resets.
func TestRateLimiterBacksOff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		want     []time.Duration
	}{
		{name: "two minutes", interval: 2 * time.Minute, want: []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second, 2 * time.Minute, 2 * time.Minute}},
		{name: "interval below the first backoff", interval: time.Second, want: []time.Duration{2 * time.Second, 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rl := newRateLimiter(tc.interval)
			a := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: "a"}}
			b := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: "b"}}
			for i, want := range tc.want {
				if got := rl.When(a); got != want {
					t.Errorf("failure %d: %v, want %v", i+1, got, want)
				}
			}
			if got := rl.When(b); got != minBackoff {
				t.Errorf("another ImageUpdater starts at %v", got)
			}
			rl.Forget(a)
			if got := rl.When(a); got != minBackoff {
				t.Errorf("after success: %v, want %v", got, minBackoff)
			}
		})
	}
}

func TestMetricsOptionsAndDurations(t *testing.T) {
	plain := metricsOptions(ManagerOptions{MetricsBindAddress: ":8080", EnableHTTP2: true})
	if plain.SecureServing || plain.FilterProvider != nil || len(plain.TLSOpts) != 0 || plain.BindAddress != ":8080" {
		t.Errorf("plain metrics: %+v", plain)
	}
	secure := metricsOptions(ManagerOptions{MetricsBindAddress: ":8443", MetricsSecure: true})
	if !secure.SecureServing || secure.FilterProvider == nil || len(secure.TLSOpts) != 1 {
		t.Fatalf("secure metrics: %+v", secure)
	}
	var c tls.Config
	secure.TLSOpts[0](&c)
	if strings.Join(c.NextProtos, ",") != "http/1.1" {
		t.Errorf("HTTP/2 offered without --enable-http2: %v", c.NextProtos)
	}
	if nonZero(0) != nil || *nonZero(time.Second) != time.Second {
		t.Error("nonZero")
	}
	if (&Engine{}).interval() != DefaultInterval || (&Engine{Interval: time.Hour}).interval() != time.Hour {
		t.Error("interval defaults")
	}
}

// TestSchemeKnowsTheTypes: the manager's scheme decodes ImageUpdaters,
// Applications and core types.
func TestSchemeKnowsTheTypes(t *testing.T) {
	s, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []client.Object{&v1alpha1.ImageUpdater{}, &argocd.Application{}, &corev1.Secret{}} {
		if gvks, _, err := s.ObjectKinds(obj); err != nil || len(gvks) == 0 {
			t.Errorf("%T: %v", obj, err)
		}
	}
}

// TestReconcilerWaitsForWarmUp: the reconciler does not run a pass before
// the warm-up ends, and runs it once it did.
func TestReconcilerWaitsForWarmUp(t *testing.T) {
	env := newTestEnv(t, imageUpdater("apps", "iu", 1))
	w := newWarmer(env.e, nil, true)
	r := &Reconciler{Engine: env.e, warm: w}
	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: "iu"}}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w.leader.Store(true)
	if err := w.ready(&http.Request{}); err == nil {
		t.Error("ready while warming up")
	}
	if _, err := r.Reconcile(ctx, req); !errors.Is(err, context.DeadlineExceeded) || env.patches() != 0 {
		t.Fatalf("reconciled before the warm-up: %v, %d patches", err, env.patches())
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.ready(&http.Request{}); err != nil {
		t.Errorf("not ready after the warm-up: %v", err)
	}
	res, err := r.Reconcile(context.Background(), req)
	if err != nil || res.RequeueAfter != time.Minute || env.patches() != 1 {
		t.Errorf("after the warm-up: %+v %v, %d patches", res, err, env.patches())
	}
	if !(&warmer{done: make(chan struct{})}).NeedLeaderElection() {
		t.Error("the warm-up must run on the leader only")
	}
}

// TestRecorderAttachImageUpdaterWarnings: the recorder's ImageUpdater
// sink records a Warning regarding the ImageUpdater, in its namespace.
func TestRecorderAttachImageUpdaterWarnings(t *testing.T) {
	cs := fake.NewClientset()
	r := newEventRecorder(cs.EventsV1(), nil)
	e := &Engine{}
	r.Attach(e)
	iu := imageUpdater("team", "iu", 1)
	iu.UID = "uid-1"
	e.UpdaterWarnings(iu, WarningWriteBackFailed, "write-back: push rejected")
	e.Warnings(helmApplication("apps", "web", "reg/web", "1"), WarningInvalidConfiguration, "bad")
	e.Events(helmApplication("apps", "web", "reg/web", "1"), "updated")
	r.Stop()
	byKind := map[string][]string{}
	for _, ns := range []string{"team", "apps"} {
		list, err := cs.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range list.Items {
			byKind[ev.Regarding.Kind] = append(byKind[ev.Regarding.Kind], ev.Type+" "+ev.Reason+" "+ev.Action+" "+ev.Regarding.APIVersion+" "+string(ev.Regarding.UID))
		}
	}
	if got := strings.Join(byKind["ImageUpdater"], ";"); got != "Warning WriteBackFailed ReconcileImageUpdater "+v1alpha1.GroupVersion.String()+" uid-1" {
		t.Errorf("ImageUpdater events %q", got)
	}
	if len(byKind["Application"]) != 2 {
		t.Errorf("Application events %q", byKind["Application"])
	}
}
