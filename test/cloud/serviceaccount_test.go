package cloud

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/imagepilot/imagepilot/internal/cloudauth"
	"github.com/imagepilot/imagepilot/internal/credentials"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/test/infra"
)

const (
	teamNS   = "team-a"
	teamRole = "arn:aws:iam::123456789012:role/team-a-ecr"
)

// countingTokens counts the TokenRequests that reach the API server.
type countingTokens struct {
	*kube.ServiceAccountTokens
	annotations, tokens atomic.Int64
}

func (c *countingTokens) Annotations(ctx context.Context, ns, name string) (map[string]string, error) {
	c.annotations.Add(1)
	return c.ServiceAccountTokens.Annotations(ctx, ns, name)
}

// claims decodes a JWT's payload (the fakes check audience and subject
// of the API server's tokens; the signature is the API server's).
func claims(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var c map[string]any
	_ = json.Unmarshal(raw, &c)
	return c
}

// saToken reports whether tok is the API server's token of
// system:serviceaccount:NS:NAME for audience.
func saToken(tok, ns, name, audience string) bool {
	c := claims(tok)
	aud, _ := c["aud"].([]any)
	return c != nil && c["sub"] == "system:serviceaccount:"+ns+":"+name && len(aud) == 1 && aud[0] == audience
}

// startTeam creates namespace team-a with service accounts on the real
// kube-apiserver and returns the controller's TokenRequest client.
func startTeam(t *testing.T, accounts map[string]map[string]string) *countingTokens {
	t.Helper()
	env := infra.StartKube(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: teamNS}}
	if err := env.Client.Create(ctx, ns); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	for name, ann := range accounts {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: teamNS, Name: name, Annotations: ann}}
		if err := env.Client.Create(ctx, sa); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), sa) })
	}
	return &countingTokens{ServiceAccountTokens: &kube.ServiceAccountTokens{Client: env.Client}}
}

// listWith lists team/app on the real registry with cfg.
func listWith(t *testing.T, reg *infra.Registry, cfg authn.AuthConfig) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var nopts []name.Option
	if strings.HasPrefix(reg.URL, "http://") {
		nopts = append(nopts, name.Insecure)
	}
	repo, err := name.NewRepository(reg.Repo("team/app"), nopts...)
	if err != nil {
		t.Fatal(err)
	}
	return remote.List(repo, append(reg.RemoteOptions(ctx), remote.WithAuth(authn.FromConfig(cfg)))...)
}

func providerSource(t *testing.T, ref, host, apiURL string, tokens cloudauth.ServiceAccountTokens) credentials.Source {
	t.Helper()
	opts := []credentials.Option{credentials.WithRegistryHost(host), credentials.WithRegistryAPI(apiURL, nil)}
	if tokens != nil {
		opts = append(opts, credentials.WithServiceAccountTokens(tokens))
	}
	src, err := credentials.ParseRef(ref, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return credentials.Cached(src, 0, nil)
}

// TestAWSServiceAccountEndToEnd: provider:aws?serviceAccount=team-a/ecr
// asks the real kube-apiserver for a token of that account with audience
// sts.amazonaws.com, assumes the role of its eks.amazonaws.com/role-arn
// annotation at STS, gets an ECR password, and the real registry accepts
// it. 100 concurrent images cost one TokenRequest, one STS call and one
// ECR call; the controller's own AWS identity is never used.
func TestAWSServiceAccountEndToEnd(t *testing.T) {
	tokens := startTeam(t, map[string]map[string]string{
		"ecr":      {cloudauth.AnnotationAWSRoleARN: teamRole},
		"no-role":  nil,
		"bad-role": {cloudauth.AnnotationAWSRoleARN: "arn:aws:iam::123456789012:role/team-b-ecr"},
	})
	iss := newIssued()
	fake := newAWSFake(iss, teamRole, "")
	fake.acceptToken = func(tok string) bool { return saToken(tok, teamNS, "ecr", cloudauth.AudienceAWS) }
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	reg := startRegistry(t, iss, nil)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_ECR", srv.URL)
	// The controller's own identity, which must not be used.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIACONTROLLER00001")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "controller-secret")
	const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

	src := providerSource(t, "provider:aws?serviceAccount=team-a/ecr", host, reg.URL, tokens)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	var first authn.AuthConfig
	var once sync.Once
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, err := src.Resolve(context.Background())
			if err != nil {
				errs <- err
				return
			}
			once.Do(func() { first = cfg })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if fake.sts.Load() != 1 || fake.ecr.Load() != 1 || tokens.annotations.Load() != 1 {
		t.Fatalf("%d STS, %d ECR calls, %d service account reads for 100 images; want 1 each", fake.sts.Load(), fake.ecr.Load(), tokens.annotations.Load())
	}
	tags, err := listWith(t, reg, first)
	if err != nil || len(tags) != 2 {
		t.Fatalf("registry with the ECR password: %v %v", tags, err)
	}

	t.Run("a role the account may not assume fails at cloud credentials, once for 100 images", func(t *testing.T) {
		before := fake.sts.Load()
		src := providerSource(t, "provider:aws?serviceAccount=team-a/bad-role", host, reg.URL, tokens)
		for range 100 {
			_, err := src.Resolve(context.Background())
			var se *cloudauth.StepError
			if !errors.As(err, &se) || se.Step != cloudauth.StepCloudCredentials || !strings.Contains(err.Error(), "AccessDenied") {
				t.Fatalf("error %v, want the cloud credentials step with STS's AccessDenied", err)
			}
		}
		if n := fake.sts.Load() - before; n != 1 {
			t.Fatalf("%d STS calls for 100 images behind a broken role, want 1", n)
		}
	})
	t.Run("an account without role annotation fails at the service account step", func(t *testing.T) {
		_, err := providerSource(t, "provider:aws?serviceAccount=team-a/no-role", host, reg.URL, tokens).Resolve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "service account token") || !strings.Contains(err.Error(), cloudauth.AnnotationAWSRoleARN) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("a missing account fails at the service account step", func(t *testing.T) {
		_, err := providerSource(t, "provider:aws?serviceAccount=team-a/nobody", host, reg.URL, tokens).Resolve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "service account token") || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("without the Kubernetes API (repo mode) the reference is refused", func(t *testing.T) {
		_, err := credentials.ParseRef("provider:aws?serviceAccount=team-a/ecr", credentials.WithRegistryHost(host))
		if !errors.Is(err, cloudauth.ErrNoServiceAccounts) || !errors.Is(err, credentials.ErrInvalidRef) {
			t.Fatalf("error %v, want ErrNoServiceAccounts", err)
		}
		code, out := check(t, writeConf(t, host, reg.URL, "provider:aws?serviceAccount=team-a/ecr"), host+"/team/app")
		if code == 0 || !strings.Contains(out, "in-cluster controller") {
			t.Fatalf("check exit %d:\n%s", code, out)
		}
	})
}

// TestAzureServiceAccountEndToEnd: provider:azure?serviceAccount=team-a/acr
// sends the API server's token (audience api://AzureADTokenExchange) as
// client assertion for the client id and tenant of the account's
// azure.workload.identity annotations, then exchanges the Entra token at
// the registry.
func TestAzureServiceAccountEndToEnd(t *testing.T) {
	tokens := startTeam(t, map[string]map[string]string{
		"acr":       {cloudauth.AnnotationAzureClientID: azClient, cloudauth.AnnotationAzureTenantID: azTenant},
		"no-client": {cloudauth.AnnotationAzureTenantID: azTenant},
	})
	iss := newIssued()
	entra := &entraFake{issued: map[string]bool{}}
	entra.accept = func(tok string) bool { return saToken(tok, teamNS, "acr", cloudauth.AudienceAzure) }
	authority := httptest.NewTLSServer(entra)
	t.Cleanup(authority.Close)
	entra.url = authority.URL
	exch := &acrExchange{entra: entra, iss: iss}
	reg := startRegistry(t, iss, map[string]http.Handler{"/oauth2/exchange": exch})
	t.Setenv("AZURE_AUTHORITY_HOST", authority.URL)

	cfg, err := providerSource(t, "provider:azure?serviceAccount=team-a/acr", acrHost, reg.URL, tokens).Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tags, err := listWith(t, reg, cfg); err != nil || len(tags) != 2 {
		t.Fatalf("registry with the ACR refresh token: %v %v", tags, err)
	}
	if entra.tokens.Load() != 1 || exch.exchanges.Load() != 1 {
		t.Fatalf("%d Entra tokens, %d exchanges; want 1 and 1", entra.tokens.Load(), exch.exchanges.Load())
	}
	t.Run("an account without client id fails at the service account step", func(t *testing.T) {
		_, err := providerSource(t, "provider:azure?serviceAccount=team-a/no-client", acrHost, reg.URL, tokens).Resolve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "service account token") || !strings.Contains(err.Error(), cloudauth.AnnotationAzureClientID) {
			t.Fatalf("error %v", err)
		}
	})
}

// TestServiceAccountTokenCache: the controller's TokenRequest client on
// the real kube-apiserver (envtest configures the service account
// issuer and signing key, so projected tokens are issued there) reuses a
// token per account and audience until a fifth of its lifetime is left,
// and shares one request among concurrent callers.
func TestServiceAccountTokenCache(t *testing.T) {
	tokens := startTeam(t, map[string]map[string]string{"cache": nil, "other": nil})
	var mu sync.Mutex
	now := time.Now()
	tokens.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := context.Background()
	get := func(name, audience string) string {
		t.Helper()
		tok, err := tokens.Token(ctx, teamNS, name, audience)
		if err != nil {
			t.Fatal(err)
		}
		if !saToken(tok, teamNS, name, audience) {
			t.Fatalf("token claims %v, want %s/%s for %s", claims(tok), teamNS, name, audience)
		}
		return tok
	}
	first := get("cache", cloudauth.AudienceAWS)
	exp, _ := claims(first)["exp"].(float64)
	if life := time.Until(time.Unix(int64(exp), 0)); life < 50*time.Minute || life > 61*time.Minute {
		t.Fatalf("token lifetime %v, want about kube.ServiceAccountTokenLifetime", life)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := get("cache", cloudauth.AudienceAWS); got != first {
				t.Error("a fresh token was not reused")
			}
		}()
	}
	wg.Wait()
	if get("cache", cloudauth.AudienceAzure) == first || get("other", cloudauth.AudienceAWS) == first {
		t.Fatal("another audience or account got the same token")
	}
	mu.Lock()
	now = now.Add(47 * time.Minute) // before 4/5 of the hour (48m)
	mu.Unlock()
	if get("cache", cloudauth.AudienceAWS) != first {
		t.Fatal("a token with more than a fifth of its lifetime left was replaced")
	}
	mu.Lock()
	now = now.Add(2 * time.Minute) // past 4/5 of the hour
	mu.Unlock()
	if get("cache", cloudauth.AudienceAWS) == first {
		t.Fatal("a token near its expiry was reused")
	}
	if _, err := tokens.Token(ctx, teamNS, "missing", cloudauth.AudienceAWS); err == nil || !strings.Contains(err.Error(), "TokenRequest") {
		t.Fatalf("token of a missing account: %v", err)
	}
}
