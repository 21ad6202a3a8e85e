package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/imagepilot/imagepilot/internal/credentials"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/verify"
)

// secrets returns how cosign public keys are read: Engine.Secrets, else an
// uncached Secret getter over the direct client (one GET per Secret per
// pass; the controller needs get on Secrets only in the namespaces of its
// ImageUpdaters).
func (e *Engine) secrets() credentials.SecretGetter {
	if e.Secrets != nil {
		return e.Secrets
	}
	return kube.SecretGetter{Reader: e.direct()}
}

// keyReader reads the cosign keys an ImageUpdater names, from Secrets in
// its namespace, each Secret once per pass.
type keyReader struct {
	e      *Engine
	ns     string
	byName map[string]secretRead
}

type secretRead struct {
	data map[string][]byte
	err  error
}

func (e *Engine) keyReader(ns string) *keyReader {
	return &keyReader{e: e, ns: ns, byName: map[string]secretRead{}}
}

// verifier returns the shared Verifier of the key v names. The error
// starts with the field that names the key and never quotes the key.
func (r *keyReader) verifier(ctx context.Context, v *target.Verification) (*verify.Verifier, error) {
	got, ok := r.byName[v.SecretName]
	if !ok {
		got.data, got.err = r.e.secrets().GetSecret(ctx, r.ns, v.SecretName)
		r.byName[v.SecretName] = got
	}
	where := fmt.Sprintf("Secret %s/%s", r.ns, v.SecretName)
	if got.err != nil {
		if apierrors.IsNotFound(got.err) || apierrors.IsForbidden(got.err) {
			return nil, fmt.Errorf("%w: %s: cosign public key: %w", target.ErrConfig, v.Field, got.err)
		}
		return nil, fmt.Errorf("%s: cosign public key: %w", v.Field, got.err)
	}
	pem, ok := got.data[v.Key]
	if !ok {
		return nil, fmt.Errorf("%w: %s: %s has no key %q", target.ErrConfig, v.Field, where, v.Key)
	}
	k, err := verify.ParseKey(fmt.Sprintf("%s/%s#%s", r.ns, v.SecretName, v.Key), pem)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: key %q of %s: %w", target.ErrConfig, v.Field, v.Key, where, err)
	}
	return r.e.verifiers.For([]verify.Key{k})
}

// resolveVerification gives every target of one application whose
// ImageUpdater asks for signature verification the Verifier of its key.
// When any key cannot be read, the application gets no targets at all and
// the errors say why: it is left alone, never updated unverified.
func (e *Engine) resolveVerification(ctx context.Context, keys *keyReader, app target.AppRef, ts []target.Target) ([]target.Target, []error) {
	var errs []error
	for i := range ts {
		v := ts[i].Verification
		if v == nil {
			continue
		}
		ver, err := keys.verifier(ctx, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("application %s image %s: %w", app, ts[i].Image.Key(), err))
			continue
		}
		ts[i].Policy.Verify = ver
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ts, nil
}
