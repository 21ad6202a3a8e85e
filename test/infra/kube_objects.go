package infra

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocdv1alpha1 "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// Namespace creates a namespace with a unique name derived from the test's
// name and returns that name. Namespaces are not deleted: envtest runs no
// namespace controller, and the server is thrown away after the package.
func (e *KubeEnv) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: kubeNamePrefix(t.Name())}}
	if err := e.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns.Name
}

// kubeNamePrefix turns a test name into a DNS-1123 label prefix.
func kubeNamePrefix(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	prefix := strings.Trim(b.String(), "-")
	if prefix == "" {
		prefix = "test"
	}
	return prefix + "-"
}

// CreateApplication creates app, status included: Argo CD's Application CRD
// has no status subresource, so status.summary.images set here is stored as
// Argo CD would store it after a sync. Defaults fill in a project and a
// destination when app leaves them empty. app is updated with the stored
// object.
func (e *KubeEnv) CreateApplication(ctx context.Context, app *argocdv1alpha1.Application) error {
	if app.Spec.Project == "" {
		app.Spec.Project = "default"
	}
	if app.Spec.Destination.Server == "" && app.Spec.Destination.Name == "" {
		app.Spec.Destination.Server = "https://kubernetes.default.svc"
	}
	if err := e.Client.Create(ctx, app); err != nil {
		return fmt.Errorf("create application %s/%s: %w", app.Namespace, app.Name, err)
	}
	return nil
}

// KubeApplication builds an Application with one source and the given live
// images in status.summary.images.
func KubeApplication(namespace, name string, source argocdv1alpha1.ApplicationSource, sourceType string, liveImages ...string) *argocdv1alpha1.Application {
	return &argocdv1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       argocdv1alpha1.ApplicationSpec{Source: &source},
		Status: argocdv1alpha1.ApplicationStatus{
			Summary:    argocdv1alpha1.ApplicationSummary{Images: liveImages},
			SourceType: sourceType,
		},
	}
}
