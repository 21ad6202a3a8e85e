package controller

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// testEnv is an Engine over controller-runtime's fake client and an
// in-process registry (go-containerregistry's pkg/registry), with the
// client's calls counted and failures injectable.
type testEnv struct {
	e    *Engine
	c    client.Client
	host string // the registry's host:port

	mu sync.Mutex
	// statusPatches counts status patches of ImageUpdaters.
	statusPatches int
	// failAppList, failIUList and failStatus, when set, fail listing
	// Applications, listing ImageUpdaters and patching status.
	failAppList, failIUList, failStatus error
	// registryDown makes the registry refuse reads.
	registryDown bool
	// tagLists counts tag list requests to the registry; appLists
	// Application list calls.
	tagLists, appLists int
	// patchHook, when set, runs before every (non-status) Patch; its error
	// fails the patch.
	patchHook func(client.Object) error
	// appPatches counts (non-status) patches.
	appPatches int
	// updaterWarnings and appWarnings hold "reason: message" per Event.
	updaterWarnings, appWarnings []string
	now                          time.Time
}

func newTestEnv(t *testing.T, objs ...client.Object) *testEnv {
	t.Helper()
	env := &testEnv{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env.mu.Lock()
		down := env.registryDown
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			env.tagLists++
		}
		env.mu.Unlock()
		if down && r.Method == http.MethodGet {
			http.Error(w, `{"errors":[{"code":"DENIED","message":"quota exceeded"}]}`, http.StatusForbidden)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	env.host = strings.TrimPrefix(srv.URL, "http://")
	conf, err := registryconf.Parse(fmt.Appendf(nil, "registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", env.host, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := registry.New(registry.WithResolver(func(host, repo string) registryconf.Registry { return conf.Lookup(host, repo) }))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	base := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&v1alpha1.ImageUpdater{}).Build()
	env.c = interceptor.NewClient(base, interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			env.mu.Lock()
			appErr, iuErr := env.failAppList, env.failIUList
			env.mu.Unlock()
			switch list.(type) {
			case *argocd.ApplicationList:
				env.mu.Lock()
				env.appLists++
				env.mu.Unlock()
				if appErr != nil {
					return appErr
				}
			case *v1alpha1.ImageUpdaterList:
				if iuErr != nil {
					return iuErr
				}
			}
			return c.List(ctx, list, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			env.mu.Lock()
			env.appPatches++
			hook := env.patchHook
			env.mu.Unlock()
			if hook != nil {
				if err := hook(obj); err != nil {
					return err
				}
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if _, ok := obj.(*v1alpha1.ImageUpdater); ok && sub == "status" {
				env.mu.Lock()
				env.statusPatches++
				err := env.failStatus
				env.mu.Unlock()
				if err != nil {
					return err
				}
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	env.e = &Engine{
		Client:   env.c,
		Resolver: access.NewResolver(conf, &fakeSecrets{}),
		Registry: rc,
		ArgoCD:   &writeback.ArgoCDWriter{Client: env.c},
		Interval: time.Minute,
		Secrets:  &fakeSecrets{},
		Now: func() time.Time {
			env.mu.Lock()
			defer env.mu.Unlock()
			return env.now
		},
		Warnings: func(app *argocd.Application, reason, msg string) {
			env.mu.Lock()
			defer env.mu.Unlock()
			env.appWarnings = append(env.appWarnings, reason+": "+msg)
		},
		UpdaterWarnings: func(iu *v1alpha1.ImageUpdater, reason, msg string) {
			env.mu.Lock()
			defer env.mu.Unlock()
			env.updaterWarnings = append(env.updaterWarnings, reason+": "+msg)
		},
	}
	return env
}

// push stores tags of repo (random images) and returns the image name.
func (env *testEnv) push(t *testing.T, repo string, tags ...string) string {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		ref, err := name.ParseReference(env.host+"/"+repo+":"+tag, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	return env.host + "/" + repo
}

// set changes a field of the environment under its lock.
func (env *testEnv) set(f func(*testEnv)) {
	env.mu.Lock()
	defer env.mu.Unlock()
	f(env)
}

func (env *testEnv) patches() int {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.statusPatches
}

func (env *testEnv) warnings() (updater, app []string) {
	env.mu.Lock()
	defer env.mu.Unlock()
	return append([]string(nil), env.updaterWarnings...), append([]string(nil), env.appWarnings...)
}

// get reads an ImageUpdater back.
func (env *testEnv) get(t *testing.T, ns, n string) *v1alpha1.ImageUpdater {
	t.Helper()
	var iu v1alpha1.ImageUpdater
	if err := env.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: n}, &iu); err != nil {
		t.Fatal(err)
	}
	return &iu
}

// tagOf returns an Application's image.tag Helm parameter.
func (env *testEnv) tagOf(t *testing.T, ns, n string) string {
	t.Helper()
	var app argocd.Application
	if err := env.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: n}, &app); err != nil {
		t.Fatal(err)
	}
	for _, p := range app.Spec.Source.Helm.Parameters {
		if p.Name == "image.tag" {
			return p.Value
		}
	}
	return ""
}

// helmApplication is a Helm Application deploying image at tag.
func helmApplication(ns, n, image, tag string) *argocd.Application {
	return &argocd.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n},
		Spec: argocd.ApplicationSpec{Source: &argocd.ApplicationSource{RepoURL: "https://git.example/" + n + ".git", Path: "chart",
			Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: tag}}}}},
		Status: argocd.ApplicationStatus{Summary: argocd.ApplicationSummary{Images: []string{image + ":" + tag}}, SourceType: argocd.SourceTypeHelm},
	}
}

// imageUpdater is an ImageUpdater of generation gen with refs.
func imageUpdater(ns, n string, gen int64, refs ...v1alpha1.ApplicationRef) *v1alpha1.ImageUpdater {
	return &v1alpha1.ImageUpdater{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n, Generation: gen}, Spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: refs}}
}

// imageRef selects the Applications named pattern for image (alias web).
func imageRef(pattern, image string) v1alpha1.ApplicationRef {
	return v1alpha1.ApplicationRef{NamePattern: pattern, Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: image}}}
}
