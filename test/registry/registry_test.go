package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/test/infra"
)

var amd64 = []policy.Platform{{OS: "linux", Architecture: "amd64"}}

func TestAnonymousDockerAndOCIManifests(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ctx := ctxFor(t)
	created := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, oci := range []bool{false, true} {
		path := fmt.Sprintf("team/app-oci-%v", oci)
		infra.PushImage(t, reg.Repo(path), infra.NewImage(t, infra.ImageSpec{Created: created, OCI: oci}), reg.RemoteOptions(ctx), "1.0.0", "1.1.0")
	}
	reg.Proxy.Reset()
	c := newClient(t, reg)
	for _, oci := range []bool{false, true} {
		t.Run(fmt.Sprintf("oci=%v", oci), func(t *testing.T) {
			repo := repoOf(t, reg, fmt.Sprintf("team/app-oci-%v", oci))
			cy := c.NewCycle()
			tags, err := cy.Tags(ctx, repo, authn.Anonymous)
			if err != nil || !sameSet(tags, []string{"1.0.0", "1.1.0"}) {
				t.Fatalf("tags %v, %v", tags, err)
			}
			md := cy.Metadata(repo, authn.Anonymous)
			digest, err := md.Digest(ctx, "1.1.0")
			if err != nil {
				t.Fatal(err)
			}
			info, err := md.Created(ctx, "1.1.0", amd64)
			if err != nil || !info.Created.Equal(created) || info.Digest != digest {
				t.Fatalf("created %+v, %v (digest %s)", info, err, digest)
			}
			// HEAD for the digest (reused by Created), one manifest and one
			// config blob; the registry's ping is reused for the second repository.
			want := map[string]int{"GET ping": 1, "GET tags": 1, "HEAD manifest": 1, "GET manifest": 1, "GET blob": 1}
			if oci {
				want["GET ping"] = 0
			}
			assertCounts(t, reg, want)
		})
	}
}

func TestHtpasswdBasicAuth(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryBasic})
	ctx := ctxFor(t)
	infra.PushImage(t, reg.Repo("private/app"), infra.NewImage(t, infra.ImageSpec{}), reg.RemoteOptions(ctx), "v1")
	reg.Proxy.Reset()
	c := newClient(t, reg)
	repo := repoOf(t, reg, "private/app")
	tags, err := c.NewCycle().Tags(ctx, repo, reg.Auth())
	if err != nil || !slices.Equal(tags, []string{"v1"}) {
		t.Fatalf("tags %v, %v", tags, err)
	}
	_, err = c.NewCycle().Tags(ctx, repo, &authn.Basic{Username: "user", Password: "wrong"})
	if !errors.Is(err, registry.ErrUnauthorized) {
		t.Fatalf("wrong password: %v, want ErrUnauthorized", err)
	}
	_, err = c.NewCycle().Tags(ctx, repo, authn.Anonymous)
	if !errors.Is(err, registry.ErrUnauthorized) {
		t.Fatalf("anonymous: %v, want ErrUnauthorized", err)
	}
}

func TestBearerTokenReusedAcrossCyclesAndImages(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryToken})
	ctx := ctxFor(t)
	infra.PushImage(t, reg.Repo("tok/app"), infra.NewImage(t, infra.ImageSpec{}), reg.RemoteOptions(ctx), "1", "2")
	reg.Proxy.Reset()
	issuedBefore := reg.Token.Issued()
	c := newClient(t, reg)
	repo := repoOf(t, reg, "tok/app")
	for range 3 {
		cy := c.NewCycle()
		for range 10 { // ten images (applications) using the same repository
			if _, err := cy.Tags(ctx, repo, reg.Auth()); err != nil {
				t.Fatal(err)
			}
			if _, err := cy.Metadata(repo, reg.Auth()).Digest(ctx, "2"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := reg.Token.Issued() - issuedBefore; n != 1 {
		t.Errorf("tokens issued = %d, want 1", n)
	}
	assertCounts(t, reg, map[string]int{"GET ping": 1, "GET token": 1, "GET tags": 3, "HEAD manifest": 3})
}

// TestBearerTokenRefreshedWhenRejected proves that a token the registry no
// longer accepts is replaced once and the request succeeds. distribution
// accepts tokens up to 60 s past exp (clock-skew leeway), so instead of
// waiting, the proxy answers one request with the registry's own 401
// challenge, exactly what an expired token gets.
func TestBearerTokenRefreshedWhenRejected(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryToken, TokenLifetime: 2 * time.Second})
	ctx := ctxFor(t)
	infra.PushImage(t, reg.Repo("tok/short"), infra.NewImage(t, infra.ImageSpec{}), reg.RemoteOptions(ctx), "1")
	reg.Proxy.Reset()
	c := newClient(t, reg)
	repo := repoOf(t, reg, "tok/short")
	if _, err := c.NewCycle().Tags(ctx, repo, reg.Auth()); err != nil {
		t.Fatal(err)
	}
	assertCounts(t, reg, map[string]int{"GET ping": 1, "GET token": 1, "GET tags": 1})
	challenge := fmt.Sprintf(`Bearer realm="%s/token",service="%s",scope="repository:tok/short:pull",error="invalid_token"`, reg.URL, reg.Token.Service)
	reg.Proxy.AddFault(infra.Fault{Kind: infra.KindTags, Status: 401, Challenge: challenge, Times: 1})
	tags, err := c.NewCycle().Tags(ctx, repo, reg.Auth())
	if err != nil || !slices.Equal(tags, []string{"1"}) {
		t.Fatalf("after rejection: %v, %v", tags, err)
	}
	// No new ping; one new token; the rejected request and its repeat.
	assertCounts(t, reg, map[string]int{"GET token": 1, "GET tags": 2})
}

func TestOAuth2RefreshTokenIdentity(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryToken})
	ctx := ctxFor(t)
	infra.PushImage(t, reg.Repo("acr/app"), infra.NewImage(t, infra.ImageSpec{}), reg.RemoteOptions(ctx), "1")
	reg.Proxy.Reset()
	auth := authn.FromConfig(authn.AuthConfig{Username: "00000000-0000-0000-0000-000000000000", IdentityToken: reg.Token.RefreshToken()})
	tags, err := newClient(t, reg).NewCycle().Tags(ctx, repoOf(t, reg, "acr/app"), auth)
	if err != nil || !slices.Equal(tags, []string{"1"}) {
		t.Fatalf("tags %v, %v", tags, err)
	}
	assertCounts(t, reg, map[string]int{"GET ping": 1, "POST token": 1, "GET tags": 1})
}

func TestTLSWithPrivateCA(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{TLS: true, Auth: infra.RegistryToken})
	ctx := ctxFor(t)
	infra.PushImage(t, reg.Repo("tls/app"), infra.NewImage(t, infra.ImageSpec{}), reg.RemoteOptions(ctx), "1")
	repo := repoOf(t, reg, "tls/app")
	tags, err := newClient(t, reg).NewCycle().Tags(ctx, repo, reg.Auth())
	if err != nil || !slices.Equal(tags, []string{"1"}) {
		t.Fatalf("tags %v, %v", tags, err)
	}
	untrusting, err := registry.New(registry.WithRetryPolicy(testRetry))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := untrusting.NewCycle().Tags(ctx, repo, reg.Auth()); err == nil {
		t.Fatal("a client without the CA must refuse the certificate")
	}
}

func TestMultiArchIndexes(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ctx := ctxFor(t)
	day := func(d int) time.Time { return time.Date(2025, 6, d, 0, 0, 0, 0, time.UTC) }
	for _, oci := range []bool{false, true} {
		infra.PushIndex(t, reg.Repo(fmt.Sprintf("multi/oci-%v", oci)), "1", oci, reg.RemoteOptions(ctx),
			infra.ImageSpec{Created: day(1), Architecture: "amd64"},
			infra.ImageSpec{Created: day(5), Architecture: "arm64", Variant: "v8"},
			infra.ImageSpec{Created: day(3), Architecture: "arm", Variant: "v7"})
	}
	c := newClient(t, reg)
	tests := []struct {
		platforms []policy.Platform
		want      time.Time
		err       error
	}{
		{amd64, day(1), nil},
		{[]policy.Platform{{OS: "linux", Architecture: "arm64"}}, day(5), nil},
		{[]policy.Platform{{OS: "linux", Architecture: "arm", Variant: "v7"}}, day(3), nil},
		{[]policy.Platform{{OS: "linux", Architecture: "arm", Variant: "v6"}}, time.Time{}, registry.ErrNoMatchingPlatform},
		{[]policy.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}, day(3), nil},
	}
	for _, oci := range []bool{false, true} {
		md := c.NewCycle().Metadata(repoOf(t, reg, fmt.Sprintf("multi/oci-%v", oci)), nil)
		for _, tt := range tests {
			info, err := md.Created(ctx, "1", tt.platforms)
			if !errors.Is(err, tt.err) || (err == nil && !info.Created.Equal(tt.want)) {
				t.Errorf("oci=%v %v: got %v, %v; want %v, %v", oci, tt.platforms, info.Created, err, tt.want, tt.err)
			}
		}
	}
}

func TestOneListingForHundredConcurrentAskers(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryToken})
	ctx := ctxFor(t)
	infra.PushImage(t, reg.Repo("shared/app"), infra.NewImage(t, infra.ImageSpec{}), reg.RemoteOptions(ctx), "a", "b", "c")
	reg.Proxy.Reset()
	reg.Proxy.SetLatency(50 * time.Millisecond) // keep the listing in flight while askers pile up
	c := newClient(t, reg)
	repo := repoOf(t, reg, "shared/app")
	for cycle := range 2 {
		cy := c.NewCycle()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				tags, err := cy.Tags(ctx, repo, reg.Auth())
				if err == nil && len(tags) != 3 {
					err = fmt.Errorf("tags %v", tags)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]int{"GET tags": 1}
		if cycle == 0 {
			want["GET ping"], want["GET token"] = 1, 1
		}
		assertCounts(t, reg, want)
	}
}

func TestMetadataNeverFetchedTwiceForKnownDigest(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ctx := ctxFor(t)
	img := infra.NewImage(t, infra.ImageSpec{Created: time.Now().UTC().Truncate(time.Second)})
	infra.PushImage(t, reg.Repo("nb/app"), img, reg.RemoteOptions(ctx), "1", "2", "3")
	reg.Proxy.Reset()
	c := newClient(t, reg, registry.WithDigestTTL(time.Hour))
	repo := repoOf(t, reg, "nb/app")
	for cycle := range 3 {
		md := c.NewCycle().Metadata(repo, nil)
		for _, tag := range []string{"1", "2", "3"} {
			if _, err := md.Created(ctx, tag, amd64); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]int{}
		if cycle == 0 { // three HEADs (one per tag), the shared digest's manifest and config once
			want = map[string]int{"GET ping": 1, "HEAD manifest": 3, "GET manifest": 1, "GET blob": 1}
		}
		assertCounts(t, reg, want)
	}
}

func TestPagingWithPageSize(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ctx := ctxFor(t)
	var tags []string
	for i := range 250 {
		tags = append(tags, fmt.Sprintf("t%03d", i))
	}
	infra.PushImage(t, reg.Repo("paged/app"), infra.NewImage(t, infra.ImageSpec{}), reg.RemoteOptions(ctx), tags...)
	reg.Proxy.Reset()
	reg.Proxy.SetTagPaging(true) // distribution 2.8 ignores n=; the proxy pages like newer registries
	got, err := newClient(t, reg, registry.WithPageSize(100)).NewCycle().Tags(ctx, repoOf(t, reg, "paged/app"), nil)
	if err != nil || !sameSet(got, tags) {
		t.Fatalf("got %d tags, %v", len(got), err)
	}
	for _, r := range reg.Proxy.Requests() {
		if r.Kind == infra.KindTags {
			t.Logf("tags request: %s?%s", r.Path, r.RawQuery)
		}
	}
	assertCounts(t, reg, map[string]int{"GET ping": 1, "GET tags": 3})
}

func TestFaults(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ctx := ctxFor(t)
	var tags []string
	for i := range 150 {
		tags = append(tags, fmt.Sprintf("f%03d", i))
	}
	infra.PushImage(t, reg.Repo("faulty/app"), infra.NewImage(t, infra.ImageSpec{}), reg.RemoteOptions(ctx), tags...)
	repo := repoOf(t, reg, "faulty/app")
	reg.Proxy.SetTagPaging(true)
	c := newClient(t, reg, registry.WithPageSize(100))
	// Warm the transport so counts below are about tags only.
	if _, err := c.NewCycle().Tags(ctx, repo, nil); err != nil {
		t.Fatal(err)
	}

	t.Run("429 with Retry-After is honoured, then success", func(t *testing.T) {
		reg.Proxy.Reset()
		reg.Proxy.AddFault(infra.Fault{Kind: infra.KindTags, Status: 429, RetryAfter: "1", Times: 1})
		defer reg.Proxy.ClearFaults()
		start := time.Now()
		got, err := c.NewCycle().Tags(ctx, repo, nil)
		if err != nil || !sameSet(got, tags) {
			t.Fatalf("got %d tags, %v", len(got), err)
		}
		if time.Since(start) < time.Second {
			t.Errorf("did not wait for Retry-After")
		}
		assertCounts(t, reg, map[string]int{"GET tags": 3}) // 429, then two pages
	})
	t.Run("persistent 500 is an error without result", func(t *testing.T) {
		reg.Proxy.Reset()
		reg.Proxy.AddFault(infra.Fault{Kind: infra.KindTags, Status: 500})
		defer reg.Proxy.ClearFaults()
		got, err := c.NewCycle().Tags(ctx, repo, nil)
		if !errors.Is(err, registry.ErrTransport) || got != nil {
			t.Fatalf("got %v, %v", got, err)
		}
		assertCounts(t, reg, map[string]int{"GET tags": testRetry.MaxAttempts})
	})
	t.Run("persistent 429 is ErrRateLimited", func(t *testing.T) {
		reg.Proxy.AddFault(infra.Fault{Kind: infra.KindTags, Status: 429, RetryAfter: "0"})
		defer reg.Proxy.ClearFaults()
		if _, err := c.NewCycle().Tags(ctx, repo, nil); !errors.Is(err, registry.ErrRateLimited) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("truncated page is an error, never a partial list", func(t *testing.T) {
		reg.Proxy.AddFault(infra.Fault{Kind: infra.KindTags, TruncateBody: true, Times: 1})
		defer reg.Proxy.ClearFaults()
		got, err := c.NewCycle().Tags(ctx, repo, nil)
		if err == nil || got != nil {
			t.Fatalf("got %d tags, %v", len(got), err)
		}
	})
	t.Run("dropped Link header never yields a partial list", func(t *testing.T) {
		reg.Proxy.AddFault(infra.Fault{Kind: infra.KindTags, DropLink: true, Times: 1})
		defer reg.Proxy.ClearFaults()
		got, err := c.NewCycle().Tags(ctx, repo, nil)
		if err == nil && !sameSet(got, tags) {
			t.Fatalf("partial list: %d tags", len(got))
		}
		t.Logf("full page without Link continued with last=: %d tags, err %v", len(got), err)
	})
	t.Run("slow registry is bounded by the context", func(t *testing.T) {
		reg.Proxy.AddFault(infra.Fault{Kind: infra.KindTags, Delay: 5 * time.Second})
		defer reg.Proxy.ClearFaults()
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if _, err := c.NewCycle().Tags(short, repo, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

// sameSet compares tag lists ignoring order (distribution 2.8 does not sort).
func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
