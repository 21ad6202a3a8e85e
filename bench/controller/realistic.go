package main

import (
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// realisticObject turns a benchmark Application into one of the size Argo
// CD leaves in a cluster (about 35 KB with the managedFields the API
// server adds): 50 resources in status, 10 history entries, an operation
// state, a sync and health status, and kubectl's last-applied annotation.
func realisticObject(app *argocd.Application) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(app)
	if err != nil {
		return nil, fmt.Errorf("converting application: %w", err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(argocd.GroupVersion.WithKind(argocd.ApplicationKind))
	spec, err := json.Marshal(m["spec"])
	if err != nil {
		return nil, err
	}
	ann := u.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann["kubectl.kubernetes.io/last-applied-configuration"] = fmt.Sprintf(`{"apiVersion":"argoproj.io/v1alpha1","kind":"Application","metadata":{"name":%q,"namespace":%q},"spec":%s}`, app.Name, app.Namespace, spec)
	ann["notified.notifications.argoproj.io"] = `{"on-deployed:[0].y7b5sbwa2Q329JYH755peeq-fBs:slack:deployments":1735689600}`
	u.SetAnnotations(ann)
	status, _ := m["status"].(map[string]any)
	if status == nil {
		status = map[string]any{}
	}
	fillStatus(status, app)
	m["status"] = status
	return u, nil
}

func fillStatus(status map[string]any, app *argocd.Application) {
	revision := "4f6c1d8e9a0b7c3d2e1f0a9b8c7d6e5f4a3b2c1d"
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).Format(time.RFC3339)
	resources := make([]any, 0, 50)
	for r := range 50 {
		kind := []string{"Deployment", "Service", "ConfigMap", "Secret", "ServiceAccount"}[r%5]
		resources = append(resources, map[string]any{
			"group": map[bool]string{true: "apps", false: ""}[kind == "Deployment"], "version": "v1", "kind": kind,
			"namespace": app.Namespace, "name": fmt.Sprintf("%s-component-%02d", app.Name, r),
			"status": "Synced", "health": map[string]any{"status": "Healthy", "lastTransitionTime": at},
		})
	}
	status["resources"] = resources
	history := make([]any, 0, 10)
	for h := range 10 {
		history = append(history, map[string]any{
			"id": int64(h), "revision": revision, "deployedAt": at, "deployStartedAt": at, "initiatedBy": map[string]any{"automated": true},
			"source": map[string]any{"repoURL": "https://git.example/apps.git", "path": app.Spec.Source.Path, "targetRevision": "HEAD",
				"helm": map[string]any{"parameters": []any{map[string]any{"name": "image.tag", "value": fmt.Sprintf("1.%d.0", h)}, map[string]any{"name": "replicas", "value": "2"}}}},
		})
	}
	status["history"] = history
	results := make([]any, 0, 50)
	for r := range 50 {
		results = append(results, map[string]any{"group": "apps", "version": "v1", "kind": "Deployment", "namespace": app.Namespace,
			"name": fmt.Sprintf("%s-component-%02d", app.Name, r), "status": "Synced", "message": "deployment.apps configured", "hookPhase": "Running", "syncPhase": "Sync"})
	}
	status["operationState"] = map[string]any{
		"operation": map[string]any{"initiatedBy": map[string]any{"automated": true}, "sync": map[string]any{"revision": revision, "syncOptions": []any{"CreateNamespace=true"}}},
		"phase":     "Succeeded", "message": "successfully synced (all tasks run)", "startedAt": at, "finishedAt": at,
		"syncResult": map[string]any{"revision": revision, "resources": results, "source": map[string]any{"repoURL": "https://git.example/apps.git", "path": app.Spec.Source.Path}},
	}
	status["sync"] = map[string]any{"status": "Synced", "revision": revision, "comparedTo": map[string]any{"destination": map[string]any{"server": "https://kubernetes.default.svc"},
		"source": map[string]any{"repoURL": "https://git.example/apps.git", "path": app.Spec.Source.Path}}}
	status["health"] = map[string]any{"status": "Healthy", "lastTransitionTime": at}
	status["reconciledAt"] = at
	status["controllerNamespace"] = "argocd"
}
