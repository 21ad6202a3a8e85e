package infra

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// KubeVersion is the kube-apiserver version hack/kube-apiserver.sh builds.
const KubeVersion = "v1.36.1"

// KubeArgoCDVersion is the Argo CD release whose CRDs are installed.
const KubeArgoCDVersion = "v3.5.7"

// errKubeAssetsMissing marks an absent kube-apiserver or etcd binary.
var errKubeAssetsMissing = errors.New("kube-apiserver/etcd binaries not found")

// KubeRepoRoot returns the repository root, found from this source file.
func KubeRepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// kubeCacheRoot mirrors the cache root of the hack/ scripts.
func kubeCacheRoot() string {
	if dir := os.Getenv("IMAGEPILOT_CACHE"); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "imagepilot-cache")
	}
	return filepath.Join(home, ".cache", "imagepilot")
}

// KubeAssetsDir returns the directory holding kube-apiserver and etcd:
// KUBEBUILDER_ASSETS when set, else the cache directory of
// hack/kube-apiserver.sh. The error wraps errKubeAssetsMissing when either
// binary is absent.
func KubeAssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(kubeCacheRoot(), "kube-assets", KubeVersion)
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("%w in %s (run hack/kube-apiserver.sh): %w", errKubeAssetsMissing, dir, err)
		}
	}
	return dir, nil
}

// KubeArgoCDCRDDir returns a directory holding Argo CD's Application and
// AppProject CRDs, running hack/argocd-crds.sh (a Go module download) when
// they are not cached yet.
func KubeArgoCDCRDDir(ctx context.Context) (string, error) {
	dir := filepath.Join(kubeCacheRoot(), "argocd-crds", KubeArgoCDVersion)
	if _, err := os.Stat(filepath.Join(dir, "application-crd.yaml")); err == nil {
		return dir, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	script := filepath.Join(KubeRepoRoot(), "hack", "argocd-crds.sh")
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "IMAGEPILOT_CACHE="+kubeCacheRoot(), "ARGOCD_VERSION="+KubeArgoCDVersion)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("fetch Argo CD CRDs with %s: %w", script, err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return filepath.Dir(first), nil
}

// KubeCRDDir returns the directory of imagepilot's generated CRDs.
func KubeCRDDir() string {
	return filepath.Join(KubeRepoRoot(), "config", "crd", "bases")
}
