package credentials

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/imagepilot/imagepilot/internal/cloudauth"
)

// Reference kinds, the part before the first colon.
const (
	KindEnv        = "env"
	KindExt        = "ext"
	KindSecret     = "secret"
	KindPullSecret = "pullsecret"
	KindProvider   = "provider"
)

// envNamePattern is what a POSIX shell accepts as a variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// dnsLabelish admits Kubernetes namespace and object names (and is lenient
// about upper case so the API server, not we, has the last word).
var dnsLabelish = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$`)

// secretKeyPattern is Kubernetes' rule for Secret data keys.
var secretKeyPattern = regexp.MustCompile(`^[-._A-Za-z0-9]+$`)

// ref is a syntactically valid reference.
type ref struct {
	kind      string
	env       string         // env
	path      string         // ext
	namespace string         // secret, pullsecret
	name      string         // secret, pullsecret
	key       string         // secret
	provider  cloudauth.Spec // provider
}

// CheckRef reports whether ref is a well-formed configuration reference
// (env:, ext:, secret:, pullsecret:, provider:). It does not accept the plain
// user:password form and does no I/O. Errors wrap [ErrInvalidRef] and
// never quote a value that could be a password.
func CheckRef(ref string) error {
	_, err := parseRefSyntax(ref)
	return err
}

// ParseRef turns a credential reference into a [Source]. See the package
// documentation for the forms. Kubernetes-backed references need
// [WithSecretGetter]; pullsecret: also needs [WithRegistryHost]. Errors
// wrap [ErrInvalidRef].
func ParseRef(reference string, opts ...Option) (Source, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	r, err := parseRefSyntax(reference)
	if err != nil {
		if o.allowPlain && !hasKnownKind(reference) {
			return parsePlain(reference)
		}
		return nil, err
	}
	return r.source(o)
}

func parsePlain(reference string) (Source, error) {
	cfg, err := SplitUserPassword(reference, "plain credentials")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRef, err)
	}
	return Static(cfg), nil
}

func hasKnownKind(reference string) bool {
	kind, _, _ := strings.Cut(reference, ":")
	switch kind {
	case KindEnv, KindExt, KindSecret, KindPullSecret, KindProvider:
		return true
	}
	return false
}

func (r ref) source(o options) (Source, error) {
	switch r.kind {
	case KindEnv:
		return &envSource{name: r.env, lookup: o.lookupEnv}, nil
	case KindExt:
		return &extSource{path: r.path, timeout: o.extTimeout}, nil
	case KindProvider:
		if o.registryHost == "" {
			return nil, fmt.Errorf("%w %q: the registry host is unknown, cannot log in to it", ErrInvalidRef, r.String())
		}
		src, err := cloudauth.New(r.provider, cloudauth.Target{Host: o.registryHost, APIURL: o.apiURL, TLS: o.tls, ServiceAccounts: o.saTokens})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidRef, err)
		}
		return src, nil
	case KindSecret:
		if o.getter == nil {
			return nil, fmt.Errorf("%w %q: reading Kubernetes Secrets is not available here", ErrInvalidRef, r.String())
		}
		return &secretSource{ref: r, getter: o.getter}, nil
	default: // KindPullSecret
		if o.getter == nil {
			return nil, fmt.Errorf("%w %q: reading Kubernetes Secrets is not available here", ErrInvalidRef, r.String())
		}
		if o.registryHost == "" {
			return nil, fmt.Errorf("%w %q: the registry host is unknown, cannot pick a pull secret entry", ErrInvalidRef, r.String())
		}
		return &pullSecretSource{ref: r, getter: o.getter, host: o.registryHost}, nil
	}
}

// String renders the reference; it holds no secret value.
func (r ref) String() string {
	switch r.kind {
	case KindEnv:
		return KindEnv + ":" + r.env
	case KindExt:
		return KindExt + ":" + r.path
	case KindSecret:
		return KindSecret + ":" + r.namespace + "/" + r.name + "#" + r.key
	case KindProvider:
		return KindProvider + ":" + r.provider.String()
	default:
		return KindPullSecret + ":" + r.namespace + "/" + r.name
	}
}

func parseRefSyntax(reference string) (ref, error) {
	kind, rest, ok := strings.Cut(reference, ":")
	if !ok || !hasKnownKind(reference) {
		// Never quote the value: it may be a plain user:password.
		return ref{}, fmt.Errorf("%w: unknown form, want env:VAR, ext:/abs/path, secret:ns/name#key, pullsecret:ns/name or provider:aws|gcp|azure|alibaba|auto", ErrInvalidRef)
	}
	switch kind {
	case KindEnv:
		return parseEnvRef(rest)
	case KindExt:
		return parseExtRef(rest)
	case KindSecret:
		return parseSecretRef(rest)
	case KindProvider:
		spec, err := cloudauth.ParseSpec(rest)
		if err != nil {
			return ref{}, fmt.Errorf("%w: %w", ErrInvalidRef, err)
		}
		return ref{kind: KindProvider, provider: spec}, nil
	default:
		return parsePullSecretRef(rest)
	}
}

// ProviderSpec returns the provider spec of a provider: reference; ok is
// false for other forms and for malformed references.
func ProviderSpec(reference string) (spec cloudauth.Spec, ok bool) {
	r, err := parseRefSyntax(reference)
	if err != nil || r.kind != KindProvider {
		return cloudauth.Spec{}, false
	}
	return r.provider, true
}

func parseEnvRef(name string) (ref, error) {
	if !envNamePattern.MatchString(name) {
		return ref{}, fmt.Errorf("%w %q: not a valid environment variable name", ErrInvalidRef, "env:"+name)
	}
	return ref{kind: KindEnv, env: name}, nil
}

func parseExtRef(path string) (ref, error) {
	if !filepath.IsAbs(path) || strings.ContainsAny(path, "\x00\n") {
		return ref{}, fmt.Errorf("%w %q: the script must be given as an absolute path", ErrInvalidRef, "ext:"+path)
	}
	return ref{kind: KindExt, path: path}, nil
}

func parseSecretRef(rest string) (ref, error) {
	nsName, key, ok := strings.Cut(rest, "#")
	if !ok || !secretKeyPattern.MatchString(key) {
		return ref{}, fmt.Errorf("%w %q: want secret:namespace/name#key", ErrInvalidRef, "secret:"+rest)
	}
	ns, name, err := splitNamespacedName(nsName)
	if err != nil {
		return ref{}, fmt.Errorf("%w %q: want secret:namespace/name#key: %w", ErrInvalidRef, "secret:"+rest, err)
	}
	return ref{kind: KindSecret, namespace: ns, name: name, key: key}, nil
}

func parsePullSecretRef(rest string) (ref, error) {
	ns, name, err := splitNamespacedName(rest)
	if err != nil {
		return ref{}, fmt.Errorf("%w %q: want pullsecret:namespace/name: %w", ErrInvalidRef, "pullsecret:"+rest, err)
	}
	return ref{kind: KindPullSecret, namespace: ns, name: name}, nil
}

func splitNamespacedName(s string) (namespace, name string, err error) {
	namespace, name, ok := strings.Cut(s, "/")
	if !ok {
		return "", "", fmt.Errorf("missing namespace")
	}
	if !dnsLabelish.MatchString(namespace) {
		return "", "", fmt.Errorf("bad namespace")
	}
	if !dnsLabelish.MatchString(name) {
		return "", "", fmt.Errorf("bad name")
	}
	return namespace, name, nil
}
