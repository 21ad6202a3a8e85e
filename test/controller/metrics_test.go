package controller_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestControllerCommandMetricsConditionsAndWarnings runs `imagepilot run`
// as a controller against the real API server: the metrics endpoint counts
// the Kubernetes API requests its clients sent and carries the gauges; a
// broken selection gets a Warning Event through the manager's recorder
// while the other application is updated; the conditions carry upstream's
// reasons.
func TestControllerCommandMetricsConditionsAndWarnings(t *testing.T) {
	f := triggerFixture(t, infra.RegistryOptions{})
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.3.0")
	f.createApp(t, helmApp(ns, "good", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	f.createApp(t, helmApp(ns, "broken", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	metricsAddr := freeAddr(t)
	startController(t, f, ns, "--metrics-bind-address", metricsAddr, "--metrics-secure=false")
	f.createIU(t, ns, "mixed", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "good", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
		{NamePattern: "broken", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web, CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{UpdateStrategy: ptr("semvr")}}}},
	}})
	waitFor(t, "good updated", func() bool { return param(f.app(t, ns, "good"), "image.tag") == "1.3.0" })
	var warning eventsv1.Event
	waitFor(t, "Warning Event on broken", func() bool {
		var list eventsv1.EventList
		if err := f.kube.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return false
		}
		for _, e := range list.Items {
			if e.Regarding.Kind == "Application" && e.Regarding.Name == "broken" && e.Type == "Warning" {
				warning = e
				return true
			}
		}
		return false
	})
	if warning.Reason != controller.WarningInvalidConfiguration || !strings.Contains(warning.Note, "spec.applicationRefs[1].images[0].commonUpdateSettings.updateStrategy") {
		t.Errorf("warning: reason %q note %q", warning.Reason, warning.Note)
	}
	if got := param(f.app(t, ns, "broken"), "image.tag"); got != "1.0.0" {
		t.Errorf("broken updated to %s", got)
	}
	var iu *v1alpha1.ImageUpdater
	waitFor(t, "status", func() bool {
		iu = f.imageUpdater(t, ns, "mixed")
		return condition(iu, v1alpha1.ConditionReconciling).Reason == v1alpha1.ReasonIdle
	})
	// The update of good requeues the ImageUpdater (it watches its
	// Applications): a later pass may have found nothing more to do, so
	// the update shows in recentUpdates.
	if r := iu.Status.RecentUpdates; len(r) == 0 || r[0].NewVersion != "1.3.0" || r[0].ApplicationsUpdated != 1 {
		t.Errorf("recentUpdates: %+v", r)
	}
	wantConditions(t, iu, map[string]wantCond{
		v1alpha1.ConditionReady: {metav1.ConditionTrue, v1alpha1.ReasonReconcileCompletedWithErrors, "Reconciled 2 applications,"},
		v1alpha1.ConditionError: {metav1.ConditionTrue, v1alpha1.ReasonPartialErrors, "updateStrategy"},
	})

	body := scrape(t, "http://"+metricsAddr+"/metrics")
	if n := sample(t, body, `argocd_image_updater_k8s_api_requests_total`); n < 5 {
		t.Errorf("k8s api requests = %v, want the controller's list, get, patch and event requests", n)
	}
	sample(t, body, `argocd_image_updater_k8s_api_errors_total`) // present
	labels := `{image_updater_cr_name="mixed",image_updater_cr_namespace="` + ns + `"}`
	for name, want := range map[string]float64{
		"imagepilot_applications_watched" + labels:                 2,
		"argocd_image_updater_applications_watched_total" + labels: 2,
		"imagepilot_images_watched" + labels:                       1,
	} {
		if got := sample(t, body, regexp.QuoteMeta(name)); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for _, typ := range []string{"# TYPE imagepilot_applications_watched gauge", "# TYPE imagepilot_images_watched gauge", "# TYPE argocd_image_updater_k8s_api_requests_total counter"} {
		if !strings.Contains(body, typ) {
			t.Errorf("metrics lack %q", typ)
		}
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// sample returns the value of the first line starting with the metric
// pattern (a regexp for name and labels).
func sample(t *testing.T, body, pattern string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + pattern + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no sample %s in\n%s", pattern, body)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
