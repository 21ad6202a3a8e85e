package cloud

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/test/infra"
)

const (
	ecrHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	ecrRole = "arn:aws:iam::123456789012:role/imagepilot"
)

// awsEnv points the AWS SDK at fake and sets up IRSA with a token file.
func awsEnv(t *testing.T, fake *awsFake, role, tokenFile string) {
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_ECR", srv.URL)
	t.Setenv("AWS_ROLE_ARN", role)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
}

func TestAWSIRSAEndToEnd(t *testing.T) {
	iss := newIssued()
	reg := startRegistry(t, iss, nil)
	webToken := "eyJhbGciOiJSUzI1NiJ9.projected-sa-token." + randomHex(8)
	tokenFile := writeFile(t, "token", webToken)

	t.Run("check lists the tags with the ECR password", func(t *testing.T) {
		fake := newAWSFake(iss, ecrRole, webToken)
		awsEnv(t, fake, ecrRole, tokenFile)
		for _, creds := range []string{"provider:auto", "provider:aws"} {
			code, out := check(t, writeConf(t, ecrHost, reg.URL, creds), ecrHost+"/team/app")
			if code != 0 || !strings.Contains(out, "1.1.0") {
				t.Fatalf("%s: exit %d:\n%s", creds, code, out)
			}
		}
		if fake.sts.Load() != 2 || fake.ecr.Load() != 2 {
			t.Fatalf("STS calls %d, ECR calls %d; want 2 each (one per run)", fake.sts.Load(), fake.ecr.Load())
		}
	})
	t.Run("wrong role fails at the cloud credentials step", func(t *testing.T) {
		fake := newAWSFake(iss, ecrRole, webToken)
		awsEnv(t, fake, "arn:aws:iam::123456789012:role/other", tokenFile)
		code, out := check(t, writeConf(t, ecrHost, reg.URL, "provider:aws"), ecrHost+"/team/app")
		if code == 0 || !strings.Contains(out, "cloud credentials") || !strings.Contains(out, "AccessDenied") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if fake.ecr.Load() != 0 {
			t.Fatalf("ECR called %d times after STS refused", fake.ecr.Load())
		}
		if strings.Contains(out, webToken) {
			t.Fatalf("the web identity token reached the output")
		}
	})
	t.Run("missing token file fails at the token file step", func(t *testing.T) {
		fake := newAWSFake(iss, ecrRole, webToken)
		awsEnv(t, fake, ecrRole, "/nonexistent/token")
		code, out := check(t, writeConf(t, ecrHost, reg.URL, "provider:aws"), ecrHost+"/team/app")
		if code == 0 || !strings.Contains(out, "token file") || !strings.Contains(out, "AWS_WEB_IDENTITY_TOKEN_FILE") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if fake.sts.Load() != 0 {
			t.Fatalf("STS called without a token")
		}
	})
	t.Run("a password not issued by ECR is refused by the registry", func(t *testing.T) {
		fake := newAWSFake(iss, ecrRole, webToken)
		awsEnv(t, fake, ecrRole, tokenFile)
		t.Setenv("FORGED", "AWS:forged")
		code, out := check(t, writeConf(t, ecrHost, reg.URL, "env:FORGED"), ecrHost+"/team/app")
		if code == 0 {
			t.Fatalf("forged credentials accepted:\n%s", out)
		}
	})
}

// TestAWSOneExchangeFor100Images resolves credentials for 100 images of
// one ECR registry at once: one STS call, one GetAuthorizationToken, and
// every image lists its tags with the result.
func TestAWSOneExchangeFor100Images(t *testing.T) {
	iss := newIssued()
	reg := startRegistry(t, iss, nil)
	webToken := "web-" + randomHex(8)
	fake := newAWSFake(iss, ecrRole, webToken)
	awsEnv(t, fake, ecrRole, writeFile(t, "token", webToken))
	conf, err := registryconf.Load(writeConf(t, ecrHost, reg.URL, "provider:auto"))
	if err != nil {
		t.Fatal(err)
	}
	resolver := access.NewResolver(conf, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	repo, err := name.NewRepository(reg.Host+"/team/app", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec, err := imagespec.Parse(ecrHost + "/team/app" + string(rune('a'+i%26)))
			if err != nil {
				errs <- err
				return
			}
			auth, err := resolver.Auth(ctx, spec, "")
			if err != nil {
				errs <- err
				return
			}
			if _, err := remote.List(repo, remote.WithAuth(auth), remote.WithContext(ctx)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if fake.sts.Load() != 1 || fake.ecr.Load() != 1 {
		t.Fatalf("100 images: %d STS calls, %d ECR exchanges; want 1 and 1", fake.sts.Load(), fake.ecr.Load())
	}
	t.Logf("100 images: %d STS call, %d ECR GetAuthorizationToken, %d registry token requests", fake.sts.Load(), fake.ecr.Load(), reg.Proxy.Count(infra.KindToken, ""))
}

// TestAWSRefreshBeforeExpiry gives ECR tokens a 4 s life: the resolver
// reuses one while fresh and fetches a new one before it expires; the old
// one is revoked at the registry, so only the refreshed one works.
func TestAWSRefreshBeforeExpiry(t *testing.T) {
	iss := newIssued()
	reg := startRegistry(t, iss, nil)
	webToken := "web-" + randomHex(8)
	fake := newAWSFake(iss, ecrRole, webToken)
	fake.lifetime = 4 * time.Second
	awsEnv(t, fake, ecrRole, writeFile(t, "token", webToken))
	conf, err := registryconf.Load(writeConf(t, ecrHost, reg.URL, "provider:aws"))
	if err != nil {
		t.Fatal(err)
	}
	resolver := access.NewResolver(conf, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	spec, _ := imagespec.Parse(ecrHost + "/team/app")
	repo, _ := name.NewRepository(reg.Host+"/team/app", name.Insecure)
	list := func() error {
		auth, err := resolver.Auth(ctx, spec, "")
		if err != nil {
			return err
		}
		_, err = remote.List(repo, remote.WithAuth(auth), remote.WithContext(ctx))
		return err
	}
	if err := list(); err != nil {
		t.Fatal(err)
	}
	if err := list(); err != nil || fake.ecr.Load() != 1 {
		t.Fatalf("second use: %v, %d exchanges (want the cached one)", err, fake.ecr.Load())
	}
	iss.revokeAll()                     // the registry forgets the first password, as at its expiry
	time.Sleep(3100 * time.Millisecond) // past the refresh point (a quarter of the life before expiry)
	if err := list(); err != nil {
		t.Fatalf("after refresh: %v", err)
	}
	if fake.ecr.Load() != 2 {
		t.Fatalf("%d exchanges, want 2 (one refresh)", fake.ecr.Load())
	}
}
