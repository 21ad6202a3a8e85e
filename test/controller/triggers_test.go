package controller_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/test/infra"
)

// triggerFixture is a kube-apiserver and a registry for `imagepilot run`
// as a controller.
func triggerFixture(t *testing.T, opts infra.RegistryOptions) *fixture {
	t.Helper()
	f := &fixture{kube: infra.StartKube(t), events: map[string]string{}, logs: &strings.Builder{}}
	f.reg = infra.StartRegistry(t, opts)
	return f
}

// startController runs `imagepilot run` (controller mode) with args until
// the test ends; it returns the log.
func startController(t *testing.T, f *fixture, ns string, args ...string) *infra.SyncBuffer {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", f.reg.Host, f.reg.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	all := append([]string{"run", "--kubeconfig", writeKubeconfig(t, f.kube.Config), "--registries-conf-path", conf,
		"--watch-namespaces", ns, "--argocd-namespace", ns, "--interval", "1h",
		"--health-probe-bind-address", "0", "--metrics-bind-address", "0"}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut infra.SyncBuffer
	go func() { done <- cli.Execute(ctx, all, &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("imagepilot exited %d:\n%s", code, errOut.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("imagepilot did not stop")
		}
	})
	return &errOut
}

// passThatLogged returns the summary line (the one with duration=) of the
// pass that logged the first line containing every part, or "".
func passThatLogged(logs string, parts ...string) string {
	found := false
	for _, line := range strings.Split(logs, "\n") {
		if !found {
			found = true
			for _, p := range parts {
				found = found && strings.Contains(line, p)
			}
			continue
		}
		if strings.Contains(line, "duration=") {
			return line
		}
	}
	return ""
}

// waitUntil polls cond every 20ms for up to limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listening(port int) bool {
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err == nil {
		c.Close()
	}
	return err == nil
}

func (f *fixture) imageUpdater(t *testing.T, ns, name string) *v1alpha1.ImageUpdater {
	t.Helper()
	var iu v1alpha1.ImageUpdater
	if err := f.kube.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &iu); err != nil {
		t.Fatal(err)
	}
	return &iu
}

// TestControllerRegistryNotificationPatchesApplications has the real
// docker-registry notify the controller's webhook: a push moves the
// Applications of an ImageUpdater and of the legacy selection with no poll
// in between (the interval is an hour).
func TestControllerRegistryNotificationPatchesApplications(t *testing.T) {
	port := infra.GitFreePort(t)
	const secret = "controller-webhook-secret"
	t.Setenv("DISTRIBUTION_WEBHOOK_SECRET", secret)
	f := triggerFixture(t, infra.RegistryOptions{Notifications: []infra.NotificationEndpoint{{
		Name: "imagepilot", URL: fmt.Sprintf("http://127.0.0.1:%d/webhook?type=distribution", port),
		Headers: map[string][]string{"Authorization": {"Bearer " + secret}}, Timeout: 2 * time.Second, Backoff: 200 * time.Millisecond,
	}}})
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.1.0")
	other := f.push(t, "team/other", "3.0.0")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	f.createApp(t, helmApp(ns, "other", []argocd.HelmParameter{{Name: "image.tag", Value: "3.0.0"}}, other+":3.0.0"))
	legacy := helmApp(ns, "legacy-web", []argocd.HelmParameter{{Name: "web.tag", Value: "1.0.0"}}, web+":1.0.0")
	legacy.Annotations = map[string]string{
		target.AnnotationPrefix + "image-list":         "web=" + web,
		target.AnnotationPrefix + "web.helm.image-tag": "web.tag",
	}
	f.createApp(t, legacy)
	f.createIU(t, ns, "updater", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
		{NamePattern: "other", Images: []v1alpha1.ImageConfig{{Alias: "other", ImageName: other}}},
	}})

	metricsPort := infra.GitFreePort(t)
	logs := startController(t, f, ns, "--enable-webhook", "--disable-tls", "--webhook-port", fmt.Sprint(port),
		"--legacy-annotations", "--match-application-name", "legacy-*",
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", metricsPort), "--metrics-secure=false")
	waitUntil(t, time.Minute, "the first pass", func() bool {
		return listening(port) && param(f.app(t, ns, "web"), "image.tag") == "1.1.0" && param(f.app(t, ns, "legacy-web"), "web.tag") == "1.1.0" &&
			f.imageUpdater(t, ns, "updater").Status.LastCheckedAt != nil
	})
	checked := f.imageUpdater(t, ns, "updater").Status.LastCheckedAt
	otherBefore := f.app(t, ns, "other").ResourceVersion

	f.push(t, "team/web", "1.2.0")
	pushed := time.Now()
	waitUntil(t, time.Minute, "the push to reach both applications", func() bool {
		return param(f.app(t, ns, "web"), "image.tag") == "1.2.0" && param(f.app(t, ns, "legacy-web"), "web.tag") == "1.2.0"
	})
	t.Logf("push-to-patch latency (both applications): %v", time.Since(pushed).Round(time.Millisecond))

	iu := f.imageUpdater(t, ns, "updater")
	// The write requeues the ImageUpdater (it watches its Applications), so
	// a full pass may follow; the update itself must come from the
	// triggered pass: the summary line after it says trigger=true.
	if by := passThatLogged(logs.String(), "to '"+web+":1.2.0'", "application="+ns+"/web"); !strings.Contains(by, "trigger=true") {
		t.Errorf("the push alone should have moved the image (lastCheckedAt %v -> %v); the update was logged by the pass %q", checked, iu.Status.LastCheckedAt, by)
	}
	if len(iu.Status.RecentUpdates) == 0 || iu.Status.RecentUpdates[0].NewVersion != "1.2.0" {
		t.Errorf("recentUpdates: %+v", iu.Status.RecentUpdates)
	}
	if got := f.app(t, ns, "other").ResourceVersion; got != otherBefore {
		t.Errorf("an application of another repository was written (resourceVersion %s -> %s)", otherBefore, got)
	}
	if !strings.Contains(logs.String(), "webhook: re-checking repository") {
		t.Errorf("no webhook log line:\n%s", logs.String())
	}
	// The controller records the events and its passes in the cycle metrics.
	scraped := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
	for _, want := range []string{`imagepilot_webhook_events_total{type="distribution"}`, `imagepilot_cycles_total{mode="controller",result="success"}`,
		`imagepilot_cycle_duration_seconds_count{mode="controller"}`, `imagepilot_last_successful_cycle_timestamp_seconds{mode="controller"}`} {
		if !strings.Contains(scraped, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestControllerTriggerAPIHoldsAndReleases drives the controller's trigger
// API: a wrong token is refused, a hold with a version writes that version
// and pins it (a newer tag does not move it, the annotation lists it),
// release resumes updates.
func TestControllerTriggerAPIHoldsAndReleases(t *testing.T) {
	f := triggerFixture(t, infra.RegistryOptions{})
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.1.0")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	f.createIU(t, ns, "updater", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
	}})
	const token = "controller-api-token"
	t.Setenv("IMAGEPILOT_API_TOKEN", token)
	port := infra.GitFreePort(t)
	logs := startController(t, f, ns, "--api-port", fmt.Sprint(port))
	waitUntil(t, time.Minute, "the first pass", func() bool {
		return listening(port) && param(f.app(t, ns, "web"), "image.tag") == "1.1.0"
	})
	ctx := context.Background()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	for name, auth := range map[string]string{"wrong token": "Bearer nope", "no token": ""} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/check", strings.NewReader(`{}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}

	c := &api.Client{URL: base, Token: token}
	if err := c.Hold(ctx, holds.Hold{Application: "web", Image: "web", Version: "1.0.0", Reason: "incident 7", By: "oncall"}); err != nil {
		t.Fatal(err)
	}
	app := f.app(t, ns, "web")
	if param(app, "image.tag") != "1.0.0" {
		t.Errorf("hold did not write its version: %+v", app.Spec.Source.Helm.Parameters)
	}
	stored, err := holds.ParseAnnotation(app.Annotations[holds.Annotation])
	if err != nil || len(stored) != 1 || stored[0].Application != ns+"/web" || stored[0].Version != "1.0.0" || stored[0].By != "oncall" {
		t.Fatalf("annotation %q: %+v %v", app.Annotations[holds.Annotation], stored, err)
	}
	if iu := f.imageUpdater(t, ns, "updater"); len(iu.Status.RecentUpdates) == 0 || iu.Status.RecentUpdates[0].NewVersion != "1.0.0" ||
		!strings.Contains(iu.Status.RecentUpdates[0].Message, "held at 1.0.0") {
		t.Errorf("recentUpdates after the hold: %+v", iu.Status.RecentUpdates)
	}
	set, err := c.Holds(ctx)
	if err != nil || len(set.Holds) != 1 || set.Holds[0].Image != "web" {
		t.Fatalf("holds: %+v %v", set, err)
	}

	f.push(t, "team/web", "1.2.0")
	res, err := c.Check(ctx, api.CheckRequest{Application: ns + "/web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Decisions) != 1 || res.Decisions[0].Action != "skip" || !strings.Contains(res.Decisions[0].Reason, "pinned at 1.0.0 by oncall") {
		t.Errorf("check while held: %+v", res)
	}
	if got := param(f.app(t, ns, "web"), "image.tag"); got != "1.0.0" {
		t.Errorf("held image moved to %s", got)
	}

	if err := c.Release(ctx, "web", "web"); err != nil {
		t.Fatal(err)
	}
	if a := f.app(t, ns, "web"); a.Annotations[holds.Annotation] != "" {
		t.Errorf("annotation left after release: %q", a.Annotations[holds.Annotation])
	}
	// Removing the holds annotation requeues the ImageUpdater (the
	// interval is an hour): its pass resumes updates on its own.
	waitUntil(t, 30*time.Second, "the image to move after release", func() bool { return param(f.app(t, ns, "web"), "image.tag") == "1.2.0" })
	res, err = c.Check(ctx, api.CheckRequest{Application: "web", Image: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Decisions) != 1 || res.Decisions[0].Action != "skip" || res.Decisions[0].To != "1.2.0" {
		t.Errorf("check after release: %+v\n%s", res, logs.String())
	}

	err = c.Release(ctx, "web", "web")
	if err == nil || !strings.Contains(err.Error(), "404") && !strings.Contains(err.Error(), "no hold") {
		t.Errorf("second release: %v", err)
	}
	if err := c.Hold(ctx, holds.Hold{Application: "web", Image: "nope"}); err == nil || !strings.Contains(err.Error(), "no managed image") {
		t.Errorf("hold of an unmanaged image: %v", err)
	}
	var bad *api.Client = &api.Client{URL: base, Token: "wrong"}
	if _, err := bad.Holds(ctx); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("holds with a wrong token: %v", err)
	}
}
