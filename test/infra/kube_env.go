package infra

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	argocdv1alpha1 "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// KubeEnv is a running API server with imagepilot's and Argo CD's CRDs.
type KubeEnv struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is a controller-runtime client using Scheme.
	Client client.Client
	// Scheme knows the core types, ImageUpdater and Application.
	Scheme *runtime.Scheme

	env *envtest.Environment
}

// kubeShared is the API server of the running test binary, started on first
// use by StartKube and stopped by KubeMain.
type kubeShared struct {
	mu  sync.Mutex
	env *KubeEnv
	err error
}

var kubeSingleton kubeShared

// KubeMain runs the package's tests and then stops the shared API server, if
// one was started. Call it from TestMain: func TestMain(m *testing.M) {
// infra.KubeMain(m) }. It does not return.
func KubeMain(m *testing.M) {
	code := m.Run()
	if err := kubeSingleton.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stop kube-apiserver: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// StartKube returns the package's shared API server, starting it on first
// use. It skips the test when the binaries are absent (fails under CI=true)
// and fails it when the server cannot start. Without KubeMain in TestMain
// the server is stopped only when the test binary exits.
func StartKube(t testing.TB) *KubeEnv {
	t.Helper()
	env, err := kubeSingleton.get()
	switch {
	case errors.Is(err, errKubeAssetsMissing) && os.Getenv("CI") != "true":
		t.Skipf("skipping: %v", err)
	case err != nil:
		t.Fatalf("start kube-apiserver: %v", err)
	}
	return env
}

func (s *kubeShared) get() (*KubeEnv, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.env == nil && s.err == nil {
		s.env, s.err = startKubeEnv(context.Background())
	}
	return s.env, s.err
}

func (s *kubeShared) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.env == nil {
		return nil
	}
	err := s.env.Stop()
	s.env = nil
	return err
}

// KubeScheme returns a scheme with the core Kubernetes types, ImageUpdater
// and Argo CD's Application.
func KubeScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, v1alpha1.AddToScheme, argocdv1alpha1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			return nil, fmt.Errorf("build scheme: %w", err)
		}
	}
	return scheme, nil
}

func startKubeEnv(ctx context.Context) (*KubeEnv, error) {
	assets, err := KubeAssetsDir()
	if err != nil {
		return nil, err
	}
	argoCRDs, err := KubeArgoCDCRDDir(ctx)
	if err != nil {
		return nil, err
	}
	scheme, err := KubeScheme()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        []string{KubeCRDDir(), argoCRDs},
		ErrorIfCRDPathMissing:    true,
		Scheme:                   scheme,
		ControlPlaneStartTimeout: 3 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest with assets in %s: %w", assets, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("create client: %w", err)
	}
	return &KubeEnv{Config: cfg, Client: c, Scheme: scheme, env: env}, nil
}

// Stop stops kube-apiserver, then etcd.
func (e *KubeEnv) Stop() error {
	if err := e.env.Stop(); err != nil {
		return fmt.Errorf("stop envtest: %w", err)
	}
	return nil
}
