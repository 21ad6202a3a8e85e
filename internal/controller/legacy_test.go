package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

// TestRunLegacy: the legacy selection updates annotated Applications,
// leaves those an ImageUpdater selects (even a broken one) to it, and
// reports unreadable lists.
func TestRunLegacy(t *testing.T) {
	annotated := func(img, n string, ns ...string) *argocd.Application {
		namespace := "apps"
		if len(ns) > 0 {
			namespace = ns[0]
		}
		a := helmApplication(namespace, n, img, "1.0.0")
		a.Annotations = map[string]string{target.AnnotationPrefix + "image-list": "web=" + img, target.AnnotationPrefix + "web.helm.image-tag": "image.tag"}
		return a
	}
	for _, tc := range []struct {
		name      string
		watch     []string
		ius       func(img string) []client.Object
		failList  string // "apps" or "ius"
		wantErr   string
		wantApps  int
		wantTags  map[string]string // namespace/name -> tag
		wantProbs int
	}{
		{name: "annotated applications", wantApps: 2, wantTags: map[string]string{"apps/one": "1.1.0", "apps/two": "1.1.0"}},
		{name: "an ImageUpdater decides", ius: func(img string) []client.Object {
			return []client.Object{imageUpdater("apps", "iu", 1, v1alpha1.ApplicationRef{NamePattern: "one", UseAnnotations: true})}
		}, wantApps: 1, wantTags: map[string]string{"apps/one": "1.0.0", "apps/two": "1.1.0"}},
		{name: "a broken ImageUpdater still claims", ius: func(img string) []client.Object {
			ref := imageRef("tw?", img)
			ref.LabelSelectors = badSelector
			return []client.Object{imageUpdater("apps", "iu", 1, ref)}
		}, wantApps: 1, wantTags: map[string]string{"apps/one": "1.1.0", "apps/two": "1.0.0"}},
		{name: "an ImageUpdater of another namespace claims only its own", ius: func(img string) []client.Object {
			return []client.Object{imageUpdater("elsewhere", "iu", 1, imageRef("*", img))}
		}, wantApps: 2, wantTags: map[string]string{"apps/one": "1.1.0", "apps/two": "1.1.0"}},
		{name: "watched namespaces: an ImageUpdater anywhere claims", watch: []string{"apps"}, ius: func(img string) []client.Object {
			return []client.Object{imageUpdater("elsewhere", "iu", 1, imageRef("one", img))}
		}, wantApps: 1, wantTags: map[string]string{"apps/one": "1.0.0", "apps/two": "1.1.0"}},
		{name: "Applications unreadable", failList: "apps", wantErr: "refused"},
		{name: "ImageUpdaters unreadable", failList: "ius", wantErr: "listing image updaters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			img := env.push(t, "team/web", "1.0.0", "1.1.0")
			bad := annotated(img, "bad")
			bad.Annotations[target.AnnotationPrefix+"web.update-strategy"] = "newest-buld"
			objs := []client.Object{annotated(img, "one"), annotated(img, "two"), bad, helmApplication("apps", "plain", img, "1.0.0")}
			if tc.ius != nil {
				objs = append(objs, tc.ius(img)...)
			}
			for _, obj := range objs {
				if err := env.c.Create(context.Background(), obj); err != nil {
					t.Fatal(err)
				}
			}
			env.e.WatchNamespaces = tc.watch
			env.set(func(env *testEnv) {
				switch tc.failList {
				case "apps":
					env.failAppList = errors.New("refused")
				case "ius":
					env.failIUList = errors.New("refused")
				}
			})
			l := &Legacy{NamePatterns: []string{"one", "two", "bad"}}
			out, err := env.e.RunLegacy(context.Background(), l)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// bad is selected too, and fails with a configuration problem.
			if out.Applications != tc.wantApps+1 || len(out.Problems) != 1 || !strings.Contains(out.Problems[0].Error(), "apps/bad") {
				t.Errorf("applications %d, problems %v", out.Applications, out.Problems)
			}
			for ref, want := range tc.wantTags {
				ns, n, _ := strings.Cut(ref, "/")
				if got := env.tagOf(t, ns, n); got != want {
					t.Errorf("%s at %s, want %s", ref, got, want)
				}
			}
			if got := env.tagOf(t, "apps", "plain"); got != "1.0.0" {
				t.Errorf("an Application without annotations moved to %s", got)
			}
		})
	}
}
