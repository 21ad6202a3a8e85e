package controller_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/internal/controller"
)

// requestCounter counts API requests on Applications by kind of request.
type requestCounter struct {
	mu sync.Mutex
	// n counts "get", "list", "list-limited", "patch", "update", "other".
	n map[string]int
}

func (c *requestCounter) wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			c.count(req)
			return rt.RoundTrip(req)
		})
	}
	return cfg
}

func (c *requestCounter) count(req *http.Request) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	i := len(parts) - 1
	if i > 0 && parts[i-1] == "applications" {
		i-- // a named application
	} else if parts[i] != "applications" {
		return
	}
	named := i < len(parts)-1
	kind := "other"
	switch {
	case req.Method == http.MethodGet && named:
		kind = "get"
	case req.Method == http.MethodGet && req.URL.Query().Get("limit") != "":
		kind = "list-limited"
	case req.Method == http.MethodGet:
		kind = "list"
	case req.Method == http.MethodPatch:
		kind = "patch"
	case req.Method == http.MethodPut:
		kind = "update"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[kind]++
}

func (c *requestCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestWritePathMinimumRequests checks issue 15's write path against the
// real API server: for N changed Applications, exactly N PATCHes and no
// GET of an Application, with the Applications listed in pages (limit
// set, more than one page followed through continue).
func TestWritePathMinimumRequests(t *testing.T) {
	for _, streamed := range []bool{false, true} {
		t.Run(fmt.Sprintf("streamed=%t", streamed), func(t *testing.T) { testWritePathMinimumRequests(t, streamed) })
	}
}

// testWritePathMinimumRequests runs the scenario with the client's pages
// read whole, or (streamed) through controller.AppStreamer.
func testWritePathMinimumRequests(t *testing.T, streamed bool) {
	const n, pageSize = 23, 5
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.2.0")
	for i := range n {
		f.createApp(t, helmApp(ns, fmt.Sprintf("app-%02d", i), []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	}
	iu := f.createIU(t, ns, "all", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{
		NamePattern: "app-*", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}},
	}}})
	counter := &requestCounter{n: map[string]int{}}
	c, err := client.New(counter.wrap(f.kube.Config), client.Options{Scheme: f.kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	f.engine.Client, f.engine.Direct, f.engine.ArgoCD.Client, f.engine.PageSize = c, c, c, pageSize
	if streamed {
		if f.engine.Streamer, err = controller.NewAppStreamer(counter.wrap(f.kube.Config)); err != nil {
			t.Fatal(err)
		}
	}
	out := f.reconcile(t, iu)
	if updated, _, errored := out.Counts(); updated != n || errored != 0 {
		t.Fatalf("updated %d, errors %d: %+v", updated, errored, out.Problems)
	}
	got := counter.snapshot()
	wantPages := (n + pageSize - 1) / pageSize
	want := map[string]int{"patch": n, "list-limited": wantPages}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests on applications = %v, want %v", got, want)
	}
	for i := range n {
		if a := f.app(t, ns, fmt.Sprintf("app-%02d", i)); param(a, "image.tag") != "1.2.0" {
			t.Fatalf("app-%02d: %+v", i, a.Spec.Source.Helm.Parameters)
		}
	}
	// A second pass has nothing to change: lists only.
	before := counter.snapshot()
	f.reconcile(t, iu)
	after := counter.snapshot()
	if after["patch"] != before["patch"] || after["get"] != 0 || after["list-limited"] != before["list-limited"]+wantPages {
		t.Fatalf("steady pass: before %v after %v", before, after)
	}
}

// TestRunOnceFlushesEvents checks that `run --once` with 50 changed
// Applications leaves 50 ImagesUpdated Events (one per Application) on
// the API server when it exits.
func TestRunOnceFlushesEvents(t *testing.T) {
	const n = 50
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.2.0")
	for i := range n {
		f.createApp(t, helmApp(ns, fmt.Sprintf("ev-%02d", i), []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	}
	f.createIU(t, ns, "events", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{
		NamePattern: "ev-*", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}},
	}}})
	conf := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", f.reg.Host, f.reg.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A low client rate limit keeps Events queued when the pass ends.
	code := cli.Execute(ctx, []string{"run", "--once", "--kubeconfig", writeKubeconfig(t, f.kube.Config),
		"--registries-conf-path", conf, "--watch-namespaces", ns, "--argocd-namespace", ns,
		"--kube-api-qps", "20", "--kube-api-burst", "5",
		"--health-probe-bind-address", "0", "--metrics-bind-address", "0"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	var list eventsv1.EventList
	if err := f.kube.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	perApp := map[string]int{}
	for _, ev := range list.Items {
		if ev.Reason == controller.EventReason && ev.Regarding.Kind == argocd.ApplicationKind {
			perApp[ev.Regarding.Name]++
		}
	}
	if len(perApp) != n {
		t.Fatalf("events for %d applications, want %d\n%s", len(perApp), n, errOut.String())
	}
	for app, k := range perApp {
		if k != 1 {
			t.Errorf("%s has %d ImagesUpdated events", app, k)
		}
	}
	if strings.Contains(errOut.String(), "events lost") {
		t.Errorf("log reports lost events:\n%s", errOut.String())
	}
}

// TestWritePathConflictReadsOneApplication checks that when an Application
// changed after it was listed, the 409 costs one GET of that Application
// and a second PATCH, keeps the other writer's change, and leaves the
// others at one PATCH each.
func TestWritePathConflictReadsOneApplication(t *testing.T) {
	const n = 3
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.2.0")
	for i := range n {
		f.createApp(t, helmApp(ns, fmt.Sprintf("app-%02d", i), []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	}
	iu := f.createIU(t, ns, "all", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{
		NamePattern: "app-*", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}},
	}}})
	counter := &requestCounter{n: map[string]int{}}
	c, err := client.NewWithWatch(counter.wrap(f.kube.Config), client.Options{Scheme: f.kube.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	writer := interceptor.NewClient(c, interceptor.Funcs{
		Patch: func(ctx context.Context, cl client.WithWatch, o client.Object, p client.Patch, opts ...client.PatchOption) error {
			if o.GetName() == "app-01" {
				once.Do(func() {
					other := f.app(t, ns, "app-01") // through the uncounted client
					other.Labels = map[string]string{"edited": "concurrently"}
					if err := f.kube.Client.Update(ctx, other); err != nil {
						t.Errorf("concurrent update: %v", err)
					}
				})
			}
			return cl.Patch(ctx, o, p, opts...)
		},
	})
	f.engine.Client, f.engine.Direct, f.engine.ArgoCD.Client = c, c, writer
	f.reconcile(t, iu)
	got := counter.snapshot()
	if got["get"] != 1 || got["patch"] != n+1 {
		t.Fatalf("requests on applications = %v, want 1 get and %d patches", got, n+1)
	}
	a := f.app(t, ns, "app-01")
	if param(a, "image.tag") != "1.2.0" || a.Labels["edited"] != "concurrently" {
		t.Fatalf("app-01: labels %v params %+v", a.Labels, a.Spec.Source.Helm.Parameters)
	}
}
