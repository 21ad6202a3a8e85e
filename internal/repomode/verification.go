package repomode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/verify"
)

// ErrBadSecretKeyMapping marks a malformed --cosign-secret value.
var ErrBadSecretKeyMapping = errors.New("invalid cosign secret mapping")

// SecretKeys maps the cosignKey references of ImageUpdater objects
// ({secretName, key} in the ImageUpdater's namespace) to public keys, since
// repo mode has no cluster to read the Secrets from. Keys are
// "namespace/secretName#key" or, for any namespace, "secretName#key".
type SecretKeys map[string]verify.Key

// ParseSecretKeyMapping splits a --cosign-secret value,
// "[NAMESPACE/]SECRET#KEY=FILE", into the reference (the SecretKeys key)
// and the file. Names and keys follow Kubernetes' rules closely enough to
// be unambiguous: no '/', '#' or '=' inside them.
func ParseSecretKeyMapping(s string) (ref, file string, err error) {
	ref, file, ok := strings.Cut(s, "=")
	if !ok || file == "" {
		return "", "", fmt.Errorf("%w %q: want [NAMESPACE/]SECRET#KEY=FILE", ErrBadSecretKeyMapping, s)
	}
	nsName, key, ok := strings.Cut(ref, "#")
	if !ok || !validPart(key) {
		return "", "", fmt.Errorf("%w %q: want [NAMESPACE/]SECRET#KEY=FILE (the Secret's data key after '#')", ErrBadSecretKeyMapping, s)
	}
	ns, name, hasNS := strings.Cut(nsName, "/")
	if !hasNS {
		ns, name = "", nsName
	}
	if !validPart(name) || (hasNS && !validPart(ns)) {
		return "", "", fmt.Errorf("%w %q: want [NAMESPACE/]SECRET#KEY=FILE", ErrBadSecretKeyMapping, s)
	}
	return ref, file, nil
}

// validPart reports whether p is a non-empty name without separators.
func validPart(p string) bool {
	return p != "" && strings.TrimSpace(p) == p && !strings.ContainsAny(p, "/#= \t")
}

// lookup finds the key for a target's verification policy: the
// namespaced mapping first, then the one for any namespace.
func (k SecretKeys) lookup(ns string, v *target.Verification) (verify.Key, bool) {
	if key, ok := k[ns+"/"+v.SecretName+"#"+v.Key]; ok {
		return key, true
	}
	key, ok := k[v.SecretName+"#"+v.Key]
	return key, ok
}

// applyVerification sets every item's Verifier: the run-wide one
// (--cosign-key, which repository content cannot lift) and, for images
// whose ImageUpdater asks for verification, the Verifier of the mapped
// key; with both, an image must verify with both. An image whose block
// names a key that no --cosign-secret maps is a configuration error, and
// its whole application is left alone (fail closed).
func applyVerification(items []updater.Item, run policy.Verifier, keys SecretKeys, pool *verify.Pool) ([]updater.Item, []error) {
	var errs []error
	blocked := map[target.AppRef]bool{}
	for i := range items {
		t := &items[i].Target
		var vs verify.All
		if run != nil {
			vs = append(vs, run)
		}
		if v := t.Verification; v != nil {
			key, ok := keys.lookup(t.App.Namespace, v)
			if !ok {
				errs = append(errs, fmt.Errorf("%w: application %s image %s: %s: no key for Secret %s/%s key %q in repo mode: pass --cosign-secret %s/%s#%s=FILE (or %s#%s=FILE)",
					target.ErrConfig, t.App, t.Image.Key(), v.Field, t.App.Namespace, v.SecretName, v.Key,
					t.App.Namespace, v.SecretName, v.Key, v.SecretName, v.Key))
				blocked[t.App] = true
				continue
			}
			ver, err := pool.For([]verify.Key{key})
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: application %s image %s: %s: %w", target.ErrConfig, t.App, t.Image.Key(), v.Field, err))
				blocked[t.App] = true
				continue
			}
			vs = append(vs, ver)
		}
		switch len(vs) {
		case 0:
		case 1:
			t.Policy.Verify = vs[0]
		default:
			t.Policy.Verify = vs
		}
	}
	if len(blocked) == 0 {
		return items, errs
	}
	kept := items[:0:0]
	for _, it := range items {
		if !blocked[it.Target.App] {
			kept = append(kept, it)
		}
	}
	return kept, errs
}
