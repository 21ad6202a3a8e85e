package demo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// chartFiles is the guestbook Helm chart, laid out as in the guides.
func chartFiles(registryHost, repoPath string) map[string]string {
	image := registryHost + "/haoshuwei24"
	return map[string]string{
		"helm/Chart.yaml": `apiVersion: v2
name: guestbook
description: The guestbook sample application
version: 0.1.0
`,
		"helm/values.yaml": fmt.Sprintf(`# Guestbook front end and its Redis back end.
frontend:
  replicaCount: 1
  image:
    repository: %[1]s/guestbook
    tag: v1   # bumped by imagepilot through .argocd-source-guestbook.yaml
  service:
    type: ClusterIP
    port: 80

redis:
  master:
    image:
      repository: %[1]s/redis
      tag: "6.0.5"
`, image),
		"helm/templates/frontend.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: guestbook-frontend
spec:
  replicas: {{ .Values.frontend.replicaCount }}
  selector:
    matchLabels: {app: guestbook}
  template:
    metadata:
      labels: {app: guestbook}
    spec:
      containers:
      - name: frontend
        image: "{{ .Values.frontend.image.repository }}:{{ .Values.frontend.image.tag }}"
`,
		"apps/guestbook.yaml": fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: guestbook=%[1]s/guestbook,redis-master=%[1]s/redis:~6.0
    argocd-image-updater.argoproj.io/guestbook.helm.image-name: frontend.image.repository
    argocd-image-updater.argoproj.io/guestbook.helm.image-tag: frontend.image.tag
    argocd-image-updater.argoproj.io/redis-master.helm.image-name: redis.master.image.repository
    argocd-image-updater.argoproj.io/redis-master.helm.image-tag: redis.master.image.tag
    argocd-image-updater.argoproj.io/write-back-method: git
spec:
  project: default
  source:
    repoURL: %[2]s
    targetRevision: main
    path: helm
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`, image, repoPath),
	}
}

// createRepository makes a bare repository at dir/guestbook.git holding the
// chart, and returns its path.
func createRepository(ctx context.Context, dir, registryHost string) (string, error) {
	bare := filepath.Join(dir, "guestbook.git")
	work := filepath.Join(dir, "seed")
	for p, content := range chartFiles(registryHost, bare) {
		full := filepath.Join(work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	steps := [][]string{
		{"init", "--bare", "--initial-branch=main", bare},
		{"-C", work, "init", "--initial-branch=main"},
		{"-C", work, "add", "."},
		{"-C", work, "-c", "user.name=Demo User", "-c", "user.email=demo@example.com", "commit", "-m", "Add the guestbook chart and its Application"},
		{"-C", work, "push", bare, "main"},
	}
	for _, args := range steps {
		if err := runGit(ctx, args...); err != nil {
			return "", err
		}
	}
	return bare, nil
}

// runGit runs a git command for the demo's setup.
func runGit(ctx context.Context, args ...string) error {
	_, err := gitOutput(ctx, args...)
	return err
}

func gitOutput(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
