package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/internal/cloudauth"
)

// ServiceAccountTokenLifetime is the lifetime asked of the TokenRequest
// API (the API server may shorten it; the minimum it accepts is 10m).
const ServiceAccountTokenLifetime = time.Hour

// ServiceAccountTokens issues service account tokens through the
// TokenRequest API (create serviceaccounts/token) and caches each
// (namespace, name, audience) token until a fifth of its lifetime is
// left. It is safe for concurrent use; concurrent callers of one key
// share one request.
type ServiceAccountTokens struct {
	// Client reads service accounts and creates their tokens (uncached).
	Client client.Client
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu     sync.Mutex
	tokens map[saKey]*saToken
}

var _ cloudauth.ServiceAccountTokens = (*ServiceAccountTokens)(nil)

type saKey struct{ namespace, name, audience string }

// saToken is a cached token or the request that is fetching it.
type saToken struct {
	done      chan struct{}
	token     string
	refreshAt time.Time
	err       error
}

// Annotations returns the annotations of service account namespace/name.
func (t *ServiceAccountTokens) Annotations(ctx context.Context, namespace, name string) (map[string]string, error) {
	var sa corev1.ServiceAccount
	if err := t.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &sa); err != nil {
		return nil, fmt.Errorf("reading service account %s/%s: %w", namespace, name, err)
	}
	return sa.Annotations, nil
}

// Token returns a token of service account namespace/name for audience,
// from the cache while fresh.
func (t *ServiceAccountTokens) Token(ctx context.Context, namespace, name, audience string) (string, error) {
	key := saKey{namespace, name, audience}
	t.mu.Lock()
	if t.tokens == nil {
		t.tokens = map[saKey]*saToken{}
	}
	cur := t.tokens[key]
	if cur != nil {
		select {
		case <-cur.done:
			if cur.err != nil || !t.now().Before(cur.refreshAt) {
				cur = nil // failed or stale: request a new one
			}
		default: // in flight: wait for it
		}
	}
	mine := cur == nil
	if mine {
		cur = &saToken{done: make(chan struct{})}
		t.tokens[key] = cur
	}
	t.mu.Unlock()
	if mine {
		cur.token, cur.refreshAt, cur.err = t.request(ctx, key)
		close(cur.done)
	}
	select {
	case <-cur.done:
		return cur.token, cur.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (t *ServiceAccountTokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// request creates a token with the TokenRequest API.
func (t *ServiceAccountTokens) request(ctx context.Context, key saKey) (string, time.Time, error) {
	seconds := int64(ServiceAccountTokenLifetime / time.Second)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: key.namespace, Name: key.name}}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences:         []string{key.audience},
		ExpirationSeconds: &seconds,
	}}
	issued := t.now()
	if err := t.Client.SubResource("token").Create(ctx, sa, tr); err != nil {
		return "", time.Time{}, fmt.Errorf("TokenRequest for service account %s/%s: %w", key.namespace, key.name, err)
	}
	if tr.Status.Token == "" {
		return "", time.Time{}, fmt.Errorf("TokenRequest for service account %s/%s: empty token", key.namespace, key.name)
	}
	exp := tr.Status.ExpirationTimestamp.Time
	if exp.IsZero() || !exp.After(issued) {
		exp = issued.Add(10 * time.Minute)
	}
	return tr.Status.Token, exp.Add(-exp.Sub(issued) / 5), nil
}
