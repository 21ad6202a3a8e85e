package registry

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/singleflight"

	"github.com/imagepilot/imagepilot/internal/registryconf"
)

// Client talks to container registries on behalf of many cycles. It is safe
// for concurrent use; create one per process.
type Client struct {
	opts options

	chainsMu sync.Mutex
	chains   map[registryconf.Registry]http.RoundTripper

	// auths holds one authenticated transport per registry, repository
	// and credential identity; failures are not kept.
	auths *memo[http.RoundTripper]

	// refused names the registry+identity pairs whose token server did
	// not honour a token for several repositories (see Cycle.Expect).
	refused sync.Map
	// noReferrers names the registry hosts without the OCI referrers API.
	noReferrers sync.Map

	tagDigests *ttlCache[string]
	infos      *lru[manifestFacts]
	infoFlight singleflight.Group
}

// New creates a Client.
func New(opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Client{
		opts:       o,
		chains:     map[registryconf.Registry]http.RoundTripper{},
		auths:      newMemo[http.RoundTripper](true),
		tagDigests: newTTLCache[string](o.metadataCacheSize, o.digestTTL),
		infos:      newLRU[manifestFacts](o.metadataCacheSize),
	}, nil
}

// NewCycle starts an update cycle: tag lists and digests asked through it
// are memoised until it is dropped.
func (c *Client) NewCycle() *Cycle {
	return &Cycle{
		client:   c,
		listings: newMemo[Listing](false),
		digests:  newMemo[string](false),

		referrers: newMemo[referrersAnswer](false),
	}
}

// target is one repository as the client reaches it.
type target struct {
	// repo is the repository on the registry's API host.
	repo name.Repository
	// key identifies repository and credential identity in caches.
	key string
	// transport is authenticated for pulling from repo.
	transport http.RoundTripper
}

// targetIn resolves repo through registries.conf and returns the shared
// authenticated transport for it and the credentials auth. When repo
// belongs to one of groups' scope groups (a cycle's announced repositories)
// and has no transport yet, it gets the group's, authenticated for every
// member.
func (c *Client) targetIn(ctx context.Context, repo name.Repository, auth authn.Authenticator, groups *scopeGroups) (*target, error) {
	op := "connect to " + repo.Name()
	r, err := c.resolve(repo, auth)
	if err != nil {
		return nil, &Error{Op: op, Kind: r.failKind, Err: err}
	}
	tr, err := c.auths.do(ctx, r.key, func(ctx context.Context) (http.RoundTripper, error) {
		if g := groups.of(r.key); g != nil && !c.refusesGroups(g.id) {
			tr, err := g.transport(ctx, c)
			if err == nil || isContextErr(err) {
				return tr, err
			}
			// No shared token this time: ask for this repository alone
			// (its own answer says what is wrong).
		}
		return c.authenticate(ctx, r.reg, r.apiRepo, r.auth)
	})
	if err != nil {
		return nil, wrapErr(op, err)
	}
	return &target{repo: r.apiRepo, key: r.key, transport: tr}, nil
}

// resolved is a repository on its API host with its credentials.
type resolved struct {
	reg     registryconf.Registry
	apiRepo name.Repository
	auth    authn.Authenticator
	// key identifies repository and credential identity; groupKey the
	// registry and credential identity (the tokens that can be shared).
	key, groupKey string
	failKind      error
}

// resolve maps repo through registries.conf and names its credentials.
func (c *Client) resolve(repo name.Repository, auth authn.Authenticator) (resolved, error) {
	reg := c.opts.resolver(repo.RegistryStr(), repo.RepositoryStr())
	apiRepo, err := apiRepository(reg, repo)
	if err != nil {
		return resolved{failKind: ErrTransport}, err
	}
	if auth == nil {
		auth = authn.Anonymous
	}
	id, err := credentialIdentity(auth)
	if err != nil {
		return resolved{failKind: ErrUnauthorized}, err
	}
	return resolved{
		reg: reg, apiRepo: apiRepo, auth: auth,
		key:      apiRepo.Name() + "|" + id,
		groupKey: apiRepo.Scheme() + "://" + apiRepo.RegistryStr() + "|" + reg.Prefix + "|" + id,
	}, nil
}

// authenticate pings the registry and fetches a pull token once; the
// returned *transport.Wrapper makes go-containerregistry skip both later.
func (c *Client) authenticate(ctx context.Context, reg registryconf.Registry, repo name.Repository, auth authn.Authenticator) (http.RoundTripper, error) {
	base, err := c.chain(reg, repo.RegistryStr())
	if err != nil {
		return nil, err
	}
	base = transport.NewUserAgent(base, c.opts.userAgent)
	scopes := []string{repo.Scope(transport.PullScope)}
	tr, err := transport.NewWithContext(ctx, repo.Registry, auth, base, scopes)
	if err != nil {
		return nil, fmt.Errorf("authenticate to %s: %w", repo.RegistryStr(), err)
	}
	c.opts.logger.DebugContext(ctx, "registry transport ready", "registry", repo.RegistryStr(), "repository", repo.RepositoryStr())
	return tr, nil
}

// chain returns the registry's shared base transport: the ping cache
// (one ping per registry, not per repository), counting, rate limit, retry, a deadline per attempt (body included), HTTP with the
// registry's TLS settings.
func (c *Client) chain(reg registryconf.Registry, host string) (http.RoundTripper, error) {
	c.chainsMu.Lock()
	defer c.chainsMu.Unlock()
	if rt, ok := c.chains[reg]; ok {
		return rt, nil
	}
	tlsCfg, err := reg.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("TLS settings: %w", err)
	}
	var rt http.RoundTripper = newHTTPTransport(tlsCfg)
	rt = &deadlineTransport{total: c.opts.requestTimeout, stall: c.opts.stallTimeout, inner: rt}
	rt = &retryTransport{policy: c.opts.retry, now: c.opts.clock.Now, inner: rt}
	rt = newLimitTransport(reg.Limit, rt)
	rt = &countingTransport{registry: host, metrics: c.opts.metrics, inner: rt}
	rt = newPingCache(rt, c.opts.clock.Now)
	c.chains[reg] = rt
	return rt, nil
}

func newHTTPTransport(tlsCfg *tls.Config) *http.Transport {
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		// No ResponseHeaderTimeout: deadlineTransport bounds the whole
		// exchange, and a timeout there is not retried (a stuck registry
		// fails once, within the bound).
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tlsCfg,
	}
	return t
}

// apiRepository moves repo onto the registry's API host; an http:// API
// URL makes the reference insecure (plain HTTP).
func apiRepository(reg registryconf.Registry, repo name.Repository) (name.Repository, error) {
	if reg.APIURL == "" {
		return repo, nil
	}
	u, err := url.Parse(reg.APIURL)
	if err != nil || u.Host == "" {
		return name.Repository{}, fmt.Errorf("registry %q: bad api_url %q", reg.Name, reg.APIURL)
	}
	var opts []name.Option
	if strings.EqualFold(u.Scheme, "http") {
		opts = append(opts, name.Insecure)
	}
	out, err := name.NewRepository(u.Host+"/"+repo.RepositoryStr(), opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("repository %s on %s: %w", repo.RepositoryStr(), u.Host, err)
	}
	return out, nil
}

// credentialIdentity names the credentials without revealing them: a short
// hash of the resolved authorization, or "anonymous".
func credentialIdentity(auth authn.Authenticator) (string, error) {
	if auth == authn.Anonymous {
		return "anonymous", nil
	}
	cfg, err := auth.Authorization()
	if err != nil {
		return "", fmt.Errorf("resolve credentials: %w", err)
	}
	if *cfg == (authn.AuthConfig{}) {
		return "anonymous", nil
	}
	h := sha256.New()
	for _, part := range []string{cfg.Username, cfg.Password, cfg.Auth, cfg.IdentityToken, cfg.RegistryToken} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}
