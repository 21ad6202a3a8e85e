package controller_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// leReplica is one controller replica: its own engine, clients, manager and
// log, and a count of the Application patches its argocd writer sent into
// the test's namespace.
type leReplica struct {
	name    string
	engine  *controller.Engine
	mgr     manager.Manager
	patches atomic.Int32
	logMu   sync.Mutex
	logs    *strings.Builder
	cancel  context.CancelFunc
	done    chan error
	stopped sync.Once
}

// leLeaseTiming keeps takeover quick while leaving a loaded 2-core machine
// seconds to renew the lease (losing it would stop the leader).
var leLeaseTiming = controller.ManagerOptions{
	LeaseDuration: 4 * time.Second,
	RenewDeadline: 3 * time.Second,
	RetryPeriod:   250 * time.Millisecond,
}

// leNewReplica builds a replica the way `imagepilot run` does: an uncached
// client for write-back and secrets, the manager's cached client for reads.
func leNewReplica(t *testing.T, f *fixture, name, appNS, leaseNS string) *leReplica {
	t.Helper()
	r := &leReplica{name: name, logs: &strings.Builder{}, done: make(chan error, 1)}
	conf, err := registryconf.Parse([]byte(fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", f.reg.Host, f.reg.URL)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := registry.New(registry.WithResolver(func(host, repo string) registryconf.Registry { return conf.Lookup(host, repo) }))
	if err != nil {
		t.Fatal(err)
	}
	base, err := client.NewWithWatch(f.kube.Config, client.Options{Scheme: f.kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	direct := interceptor.NewClient(base, interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			if obj.GetNamespace() == appNS {
				r.patches.Add(1)
			}
			return c.Patch(ctx, obj, p, opts...)
		},
	})
	logger := slog.New(slog.NewTextHandler(&lockedWriter{mu: &r.logMu, w: r.logs}, nil)).With("replica", name)
	r.engine = &controller.Engine{
		Resolver: access.NewResolver(conf, kube.SecretGetter{Reader: direct}),
		Registry: rc,
		ArgoCD:   &writeback.ArgoCDWriter{Client: direct, Logger: logger},
		// One pass per replica: a second pass only comes with leadership.
		Interval: time.Hour,
		Logger:   logger,
	}
	o := leLeaseTiming
	o.LeaderElection, o.LeaderElectionNamespace = true, leaseNS
	o.HealthProbeBindAddress, o.MetricsBindAddress, o.DisableEvents = "0", "0", true
	if r.mgr, err = controller.NewManager(f.kube.Config, r.engine, o); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *leReplica) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.mgr.Start(ctx) }()
	t.Cleanup(func() { r.stop(t) })
}

// stop stops the manager and reports its error; later calls do nothing.
// controller-runtime v0.25 can block inside Start's shutdown after a leader
// is cancelled (OnStoppedLeading sends on an error channel nobody reads any
// more while the deferred code waits for leader election to end). By then
// leader election is cancelled, which is all a stop must achieve, so the
// wait is bounded and such a manager is left behind with a note.
func (r *leReplica) stop(t *testing.T) {
	r.stopped.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil && !strings.Contains(err.Error(), "leader election lost") {
				t.Errorf("replica %s: %v", r.name, err)
			}
		case <-time.After(30 * time.Second):
			t.Logf("replica %s: manager still shutting down 30s after cancel; left behind", r.name)
		}
	})
}

func (r *leReplica) elected() bool {
	select {
	case <-r.mgr.Elected():
		return true
	default:
		return false
	}
}

// passes counts the replica's reconcile passes by their summary lines.
func (r *leReplica) passes() int {
	return strings.Count(r.log(), "Processing results:")
}

// log returns what the replica logged so far.
func (r *leReplica) log() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.logs.String()
}

// TestLeaderElectionOneReplicaWritesThenTheOtherTakesOver runs two replicas
// with leader election against the real API server: only the leader
// reconciles and patches the Application; when it stops, the other wins the
// lease and applies the next tag.
func TestLeaderElectionOneReplicaWritesThenTheOtherTakesOver(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	leaseNS := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.1.0")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))

	first := leNewReplica(t, f, "first", ns, leaseNS)
	second := leNewReplica(t, f, "second", ns, leaseNS)
	first.start(t)
	waitFor(t, "first replica elected", first.elected)
	second.start(t)
	f.createIU(t, ns, "updater", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
	}})

	waitFor(t, "1.1.0 written", func() bool { return param(f.app(t, ns, "web"), "image.tag") == "1.1.0" })
	// The second replica's cache has seen the ImageUpdater with the
	// leader's status, so it had every chance to reconcile it.
	waitFor(t, "second replica's cache sees the status", func() bool {
		var iu v1alpha1.ImageUpdater
		err := second.mgr.GetClient().Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "updater"}, &iu)
		return err == nil && iu.Status.LastCheckedAt != nil
	})
	if second.elected() {
		t.Fatal("both replicas are leaders")
	}
	if got := first.patches.Load(); got != 1 {
		t.Errorf("leader patched the Application %d times, want 1", got)
	}
	if got, passes := second.patches.Load(), second.passes(); got != 0 || passes != 0 {
		t.Errorf("non-leader patched %d times in %d passes, want none", got, passes)
	}

	// A newer tag, then the leader goes away: the other replica takes the
	// lease once it expires and applies the tag.
	f.push(t, "team/web", "1.2.0")
	stopped := time.Now()
	first.stop(t)
	waitFor(t, "second replica elected", second.elected)
	elected := time.Since(stopped)
	waitFor(t, "1.2.0 written", func() bool { return param(f.app(t, ns, "web"), "image.tag") == "1.2.0" })
	// Measured, not asserted (the figure goes to bench/README.md): the
	// lease expires, the other replica takes it, then one pass.
	t.Logf("failover with a %v lease: elected %v after the leader stopped, update written %v after", leLeaseTiming.LeaseDuration, elected.Round(10*time.Millisecond), time.Since(stopped).Round(10*time.Millisecond))
	if got := second.patches.Load(); got != 1 {
		t.Errorf("new leader patched the Application %d times, want 1", got)
	}
	if got := first.patches.Load(); got != 1 {
		t.Errorf("stopped replica patched again: %d patches", got)
	}
	if logs := second.log(); !strings.Contains(logs, "to '"+web+":1.2.0'") {
		t.Errorf("new leader's log lacks the update:\n%s", logs)
	}
}
