package access

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/imagepilot/imagepilot/internal/cloudauth"
	"github.com/imagepilot/imagepilot/internal/credentials"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// PullSecretTTL is how long the credentials of an image's pull-secret
// reference are reused: a rotated Secret (or a changed variable or
// script output) takes effect within it, as upstream, which reads pull
// secrets every time, would see it. registries.conf credentials are
// reused for their credsexpire (for ever without one).
const PullSecretTTL = time.Minute

// Resolver maps images to registries and credentials. It is safe for
// concurrent use and caches credential sources for their credsexpire.
type Resolver struct {
	conf     *registryconf.Config
	secrets  credentials.SecretGetter
	keychain authn.Keychain
	now      func() time.Time
	saTokens cloudauth.ServiceAccountTokens

	mu      sync.Mutex
	sources map[string]credentials.Source
}

// NewResolver returns a resolver over conf (nil means no registries.conf).
// secrets may be nil outside Kubernetes.
func NewResolver(conf *registryconf.Config, secrets credentials.SecretGetter) *Resolver {
	if conf == nil {
		conf = &registryconf.Config{}
	}
	return &Resolver{conf: conf, secrets: secrets, keychain: credentials.Keychain(), now: time.Now, sources: map[string]credentials.Source{}}
}

// UseServiceAccountTokens lets provider: references with serviceAccount=
// federate Kubernetes service account tokens issued by t (the controller
// calls it once, before the first cycle; repo mode never does, so such
// references are refused there).
func (r *Resolver) UseServiceAccountTokens(t cloudauth.ServiceAccountTokens) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.saTokens = t
}

// Config returns the registries configuration.
func (r *Resolver) Config() *registryconf.Config { return r.conf }

// Registry returns the registries.conf entry for an image.
func (r *Resolver) Registry(img imagespec.Spec) registryconf.Registry {
	host, repo := r.hostAndRepository(img)
	return r.conf.Lookup(host, repo)
}

// Repository returns the go-containerregistry repository of an image:
// images without a registry host go to the default registry of
// registries.conf when there is one, else Docker Hub.
func (r *Resolver) Repository(img imagespec.Spec) (name.Repository, error) {
	host, repo := r.hostAndRepository(img)
	reg := r.conf.Lookup(host, repo)
	var opts []name.Option
	if isPlainHTTP(reg.APIURL) {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.NewRepository(host+"/"+repo, opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("image %s: %w", img.Name, err)
	}
	return ref, nil
}

func (r *Resolver) hostAndRepository(img imagespec.Spec) (string, string) {
	host, path := imagespec.SplitHost(img.Name)
	if host != "" {
		return img.Registry, r.conf.Lookup(img.Registry, img.Repository).NormalizeRepository(img.Repository)
	}
	if def, ok := r.conf.DefaultRegistry(); ok {
		return def.Host(), def.NormalizeRepository(path)
	}
	return img.Registry, img.Repository
}

func isPlainHTTP(apiURL string) bool {
	return len(apiURL) >= 7 && apiURL[:7] == "http://"
}

// Auth resolves the credentials for an image: pullSecret (a credential
// reference) when given, else the registry's credentials, else the Docker
// config keychain.
func (r *Resolver) Auth(ctx context.Context, img imagespec.Spec, pullSecret string) (authn.Authenticator, error) {
	reg := r.Registry(img)
	ref, ttl := pullSecret, PullSecretTTL
	if ref == "" {
		ref, ttl = reg.Credentials, reg.CredsExpire
	}
	if ref == "" {
		repo, err := r.Repository(img)
		if err != nil {
			return nil, err
		}
		auth, err := authn.Resolve(ctx, r.keychain, repo)
		if err != nil {
			return nil, fmt.Errorf("docker config credentials for %s: %w", reg.Host(), err)
		}
		return auth, nil
	}
	src, err := r.source(ref, reg, ttl)
	if err != nil {
		return nil, err
	}
	cfg, err := src.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", img.FullName(), err)
	}
	return authn.FromConfig(cfg), nil
}

// source returns the cached credential source of ref for the registry:
// one per reference and registry, so every image of a registry shares one
// login (and, for provider: references, one token exchange).
func (r *Resolver) source(ref string, reg registryconf.Registry, ttl time.Duration) (credentials.Source, error) {
	host := reg.Host()
	key := ref + "\x00" + host + "\x00" + reg.APIURL
	r.mu.Lock()
	defer r.mu.Unlock()
	if src, ok := r.sources[key]; ok {
		return src, nil
	}
	opts := []credentials.Option{credentials.WithRegistryHost(host)}
	if _, ok := credentials.ProviderSpec(ref); ok {
		tlsConfig, err := reg.TLSConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, credentials.WithRegistryAPI(reg.APIURL, tlsConfig))
		if r.saTokens != nil {
			opts = append(opts, credentials.WithServiceAccountTokens(r.saTokens))
		}
	}
	if r.secrets != nil {
		opts = append(opts, credentials.WithSecretGetter(r.secrets))
	}
	src, err := credentials.ParseRef(ref, opts...)
	if err != nil {
		return nil, err
	}
	src = credentials.Cached(src, ttl, r.now)
	r.sources[key] = src
	return src, nil
}

// View is one cycle's registry view for the planner.
type View struct {
	resolver *Resolver
	cycle    *registry.Cycle

	// resolved keeps each image's repository and credentials for the
	// cycle: Expect resolves them before planning, the planner's questions
	// reuse them.
	mu       sync.Mutex
	resolved map[updater.ExpectedImage]viewTarget
}

// viewTarget is an image's repository and credentials.
type viewTarget struct {
	repo name.Repository
	auth authn.Authenticator
}

var _ updater.Registry = (*View)(nil)

// NewView returns the registry view for one cycle.
func NewView(r *Resolver, cycle *registry.Cycle) *View { return &View{resolver: r, cycle: cycle} }

// Tags lists an image's tags once per cycle.
func (v *View) Tags(ctx context.Context, img imagespec.Spec, pullSecret string) ([]string, error) {
	repo, auth, err := v.target(ctx, img, pullSecret)
	if err != nil {
		return nil, err
	}
	return v.cycle.Tags(ctx, repo, auth)
}

// Metadata answers per-tag questions about an image's repository.
func (v *View) Metadata(ctx context.Context, img imagespec.Spec, pullSecret string) (policy.Metadata, error) {
	repo, auth, err := v.target(ctx, img, pullSecret)
	if err != nil {
		return nil, err
	}
	return v.cycle.Metadata(repo, auth), nil
}

func (v *View) target(ctx context.Context, img imagespec.Spec, pullSecret string) (name.Repository, authn.Authenticator, error) {
	k := updater.ExpectedImage{Image: img, PullSecret: pullSecret}
	v.mu.Lock()
	t, ok := v.resolved[k]
	v.mu.Unlock()
	if ok {
		return t.repo, t.auth, nil
	}
	repo, err := v.resolver.Repository(img)
	if err != nil {
		return name.Repository{}, nil, err
	}
	auth, err := v.resolver.Auth(ctx, img, pullSecret)
	if err != nil {
		return name.Repository{}, nil, err // failures are not kept: asked again, they are tried again
	}
	v.mu.Lock()
	if v.resolved == nil {
		v.resolved = map[updater.ExpectedImage]viewTarget{}
	}
	v.resolved[k] = viewTarget{repo, auth}
	v.mu.Unlock()
	return repo, auth, nil
}

var _ updater.Expecter = (*View)(nil)

// Expect announces the images the cycle is going to list, so that their
// repositories share registry tokens (see registry.Cycle.Expect). An image
// whose repository or credentials cannot be resolved is left out: asking
// about it reports the error.
func (v *View) Expect(ctx context.Context, images []updater.ExpectedImage) {
	repos := make([]registry.Expected, 0, len(images))
	failed := map[string]bool{} // credentials that did not resolve: tried once here
	for _, e := range images {
		creds := v.resolver.Registry(e.Image).Host() + "\x00" + e.PullSecret
		if failed[creds] {
			continue
		}
		repo, auth, err := v.target(ctx, e.Image, e.PullSecret)
		if err != nil {
			failed[creds] = true
			continue
		}
		repos = append(repos, registry.Expected{Repo: repo, Auth: auth})
	}
	v.cycle.Expect(repos)
}
