package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/internal/credentials"
)

// SecretGetter reads Secrets through a controller-runtime reader.
type SecretGetter struct {
	// Reader reads Secrets (preferably uncached).
	Reader client.Reader
}

var _ credentials.SecretGetter = SecretGetter{}

// GetSecret returns the data of Secret namespace/name.
func (g SecretGetter) GetSecret(ctx context.Context, namespace, name string) (map[string][]byte, error) {
	var s corev1.Secret
	if err := g.Reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &s); err != nil {
		return nil, fmt.Errorf("reading secret %s/%s: %w", namespace, name, err)
	}
	return s.Data, nil
}
