package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/test/infra"
)

// kubeEnv is the envtest API server and an unthrottled admin client.
type kubeEnv struct {
	env    *envtest.Environment
	config *rest.Config
	client client.Client
}

func startKube() (*kubeEnv, error) {
	assets, err := infra.KubeAssetsDir()
	if err != nil {
		return nil, err
	}
	argoCRDs, err := infra.KubeArgoCDCRDDir(context.Background())
	if err != nil {
		return nil, err
	}
	scheme, err := controller.Scheme()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets, CRDDirectoryPaths: []string{infra.KubeCRDDir(), argoCRDs},
		ErrorIfCRDPathMissing: true, Scheme: scheme, ControlPlaneStartTimeout: 3 * time.Minute,
	}
	// 50,000 realistic Applications are about 1.4 GB in etcd: above its
	// default 2 GB quota once revisions count.
	env.ControlPlane.Etcd = &envtest.Etcd{}
	env.ControlPlane.Etcd.Configure().Set("quota-backend-bytes", "8589934592")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	admin := rest.CopyConfig(cfg)
	admin.QPS = -1
	c, err := client.New(admin, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &kubeEnv{env: env, config: cfg, client: c}, nil
}

func (k *kubeEnv) stop() {
	if err := k.env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
	}
}

// kubeAccess is what the child needs to reach the API server.
type kubeAccess struct {
	Host                      string
	CAData, CertData, KeyData []byte
	BearerToken               string
}

func accessOf(cfg *rest.Config) kubeAccess {
	return kubeAccess{Host: cfg.Host, CAData: cfg.CAData, CertData: cfg.CertData, KeyData: cfg.KeyData, BearerToken: cfg.BearerToken}
}

func (a kubeAccess) restConfig() *rest.Config {
	return &rest.Config{Host: a.Host, BearerToken: a.BearerToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: a.CAData, CertData: a.CertData, KeyData: a.KeyData}}
}

// seed creates namespace ns, the ImageUpdaters (or nothing, in legacy mode)
// and n Applications: Application i runs image i%images, at the newest tag
// except the first moved ones, which run the oldest.
func (k *kubeEnv) seed(ctx context.Context, cfg config, ns string, n int, host string) error {
	if err := k.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return fmt.Errorf("creating namespace: %w", err)
	}
	if !cfg.legacy {
		for u := range cfg.updaters {
			if err := k.client.Create(ctx, imageUpdater(cfg, ns, u, host)); err != nil {
				return fmt.Errorf("creating ImageUpdater: %w", err)
			}
		}
	}
	start := time.Now()
	err := parallel(16, n, func(i int) error {
		app := application(cfg, ns, i, host)
		if !cfg.realistic {
			return k.client.Create(ctx, app)
		}
		u, err := realisticObject(app)
		if err != nil {
			return err
		}
		return k.client.Create(ctx, u, client.FieldOwner("argocd-application-controller"))
	})
	if err != nil {
		return fmt.Errorf("creating applications: %w", err)
	}
	fmt.Printf("apps=%d: created in %s, %s\n", n, time.Since(start).Round(time.Millisecond), k.sizeOf(ctx, ns, appName(cfg, 0)))
	return nil
}

// retire deletes the namespace's ImageUpdaters so that later passes (which
// reconcile ImageUpdaters cluster-wide) leave its Applications alone.
func (k *kubeEnv) retire(ctx context.Context, ns string) error {
	if err := k.client.DeleteAllOf(ctx, &v1alpha1.ImageUpdater{}, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("deleting ImageUpdaters: %w", err)
	}
	return nil
}

func imageName(host string, img int) string { return fmt.Sprintf("%s/bench/img%02d", host, img) }

func appName(cfg config, i int) string {
	return fmt.Sprintf("g%d-app%05d-img%02d", i%max(cfg.updaters, 1), i, i%cfg.images)
}

func tagOf(j int) string { return fmt.Sprintf("1.%d.0", j) }

// imageUpdater u selects the Applications of group u, one ApplicationRef
// per image.
func imageUpdater(cfg config, ns string, u int, host string) *v1alpha1.ImageUpdater {
	iu := &v1alpha1.ImageUpdater{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("updater-%d", u)}}
	for img := range cfg.images {
		iu.Spec.ApplicationRefs = append(iu.Spec.ApplicationRefs, v1alpha1.ApplicationRef{
			NamePattern: fmt.Sprintf("g%d-*-img%02d", u, img),
			Images:      []v1alpha1.ImageConfig{{Alias: "app", ImageName: imageName(host, img)}},
		})
	}
	return iu
}

func application(cfg config, ns string, i int, host string) *argocd.Application {
	img := imageName(host, i%cfg.images)
	tag := tagOf(cfg.tags - 1)
	if i < cfg.moved {
		tag = tagOf(0)
	}
	app := &argocd.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: appName(cfg, i)},
		Spec: argocd.ApplicationSpec{
			Project:     "default",
			Destination: argocd.ApplicationDestination{Server: "https://kubernetes.default.svc"},
			Source: &argocd.ApplicationSource{RepoURL: "https://git.example/apps.git", Path: fmt.Sprintf("charts/app%05d", i),
				Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{
					{Name: "image.name", Value: img}, {Name: "image.tag", Value: tag}, {Name: "replicas", Value: "2"},
				}}},
		},
		Status: argocd.ApplicationStatus{SourceType: argocd.SourceTypeHelm, Summary: argocd.ApplicationSummary{Images: []string{img + ":" + tag}}},
	}
	if cfg.legacy {
		app.Annotations = map[string]string{
			target.AnnotationPrefix + "image-list":          "app=" + img,
			target.AnnotationPrefix + "app.helm.image-name": "image.name",
			target.AnnotationPrefix + "app.helm.image-tag":  "image.tag",
		}
	}
	return app
}

// parallel runs fn for 0..n-1 on workers goroutines and returns the first
// error.
func parallel(workers, n int, fn func(int) error) error {
	jobs := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// sizeOf reports the JSON size of one stored Application, managedFields
// included.
func (k *kubeEnv) sizeOf(ctx context.Context, ns, name string) string {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(argocd.GroupVersion.WithKind(argocd.ApplicationKind))
	if err := k.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		return "size unknown: " + err.Error()
	}
	data, err := u.MarshalJSON()
	if err != nil {
		return "size unknown: " + err.Error()
	}
	return fmt.Sprintf("one Application is %d bytes of JSON", len(data))
}
