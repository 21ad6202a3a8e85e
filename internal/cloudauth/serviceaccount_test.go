package cloudauth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

func TestParseSpecServiceAccount(t *testing.T) {
	tests := []struct {
		in, want string // want "" = invalid
	}{
		{"aws?serviceAccount=team-a/ecr-reader", "aws?serviceAccount=team-a%2Fecr-reader"},
		{"aws?serviceAccount=team-a%2Fecr", "aws?serviceAccount=team-a%2Fecr"},
		{"azure?serviceAccount=team-b/acr.reader&clientId=11111111-2222-3333-4444-555555555555", "azure?clientId=11111111-2222-3333-4444-555555555555&serviceAccount=team-b%2Facr.reader"},
		{"aws?region=eu-west-1&serviceAccount=ns/n", "aws?region=eu-west-1&serviceAccount=ns%2Fn"},
		{"gcp?serviceAccount=team-a/gar", ""},
		{"alibaba?serviceAccount=team-a/acr", ""},
		{"auto?serviceAccount=team-a/x", ""},
		{"aws?serviceAccount=ecr", ""},
		{"aws?serviceAccount=/ecr", ""},
		{"aws?serviceAccount=team-a/", ""},
		{"aws?serviceAccount=Team-A/ecr", ""},
		{"aws?serviceAccount=team_a/ecr", ""},
		{"aws?serviceAccount=a/b/c", ""},
		{"aws?serviceAccount=a/b&serviceAccount=a/c", ""},
	}
	for _, tt := range tests {
		spec, err := ParseSpec(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("%q: %v, want ErrInvalidSpec", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if spec.String() != tt.want {
			t.Errorf("%q renders %q, want %q", tt.in, spec.String(), tt.want)
		}
		again, err := ParseSpec(spec.String())
		if err != nil || again != spec {
			t.Errorf("%q does not round-trip: %+v %v", tt.in, again, err)
		}
	}
}

// fakeAccounts is a ServiceAccountTokens over a map.
type fakeAccounts struct {
	annotations map[string]map[string]string // ns/name
	tokenErr    error
	mu          sync.Mutex
	audiences   []string
}

func (f *fakeAccounts) Annotations(_ context.Context, ns, name string) (map[string]string, error) {
	a, ok := f.annotations[ns+"/"+name]
	if !ok {
		return nil, errors.New(`serviceaccounts "` + name + `" not found`)
	}
	return a, nil
}

func (f *fakeAccounts) Token(_ context.Context, ns, name, audience string) (string, error) {
	f.mu.Lock()
	f.audiences = append(f.audiences, audience)
	f.mu.Unlock()
	if f.tokenErr != nil {
		return "", f.tokenErr
	}
	return "token-of-" + ns + "-" + name, nil
}

func TestNewServiceAccountNeedsKubernetes(t *testing.T) {
	spec, err := ParseSpec("aws?serviceAccount=team-a/ecr")
	if err != nil {
		t.Fatal(err)
	}
	const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	_, err = New(spec, Target{Host: host})
	if !errors.Is(err, ErrNoServiceAccounts) || !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "in-cluster controller") {
		t.Fatalf("error %v, want ErrNoServiceAccounts", err)
	}
	if _, err := New(spec, Target{Host: host, ServiceAccounts: &fakeAccounts{}}); err != nil {
		t.Fatal(err)
	}
}

// TestServiceAccountSteps: what the account lacks fails at the service
// account step before any cloud request (no fake cloud runs here: a
// request would fail at another step).
func TestServiceAccountSteps(t *testing.T) {
	const ecr, acr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "unitreg01.azurecr.io"
	accounts := map[string]map[string]string{
		"t/no-annotations": nil,
		"t/bad-role":       {AnnotationAWSRoleARN: "team-a-ecr"},
		"t/no-tenant":      {AnnotationAzureClientID: "11111111-2222-3333-4444-555555555555"},
		"t/bad-client":     {AnnotationAzureClientID: "me", AnnotationAzureTenantID: tokenTenant},
	}
	tests := []struct {
		name, spec, host, want, audience string
	}{
		{"aws: missing account", "aws?serviceAccount=t/nobody", ecr, "not found", ""},
		{"aws: no role annotation", "aws?serviceAccount=t/no-annotations", ecr, AnnotationAWSRoleARN, AudienceAWS},
		{"aws: role is not an ARN", "aws?serviceAccount=t/bad-role", ecr, AnnotationAWSRoleARN, AudienceAWS},
		{"aws: TokenRequest refused", "aws?serviceAccount=t/bad-role", ecr, "forbidden", AudienceAWS},
		{"azure: no client id", "azure?serviceAccount=t/no-annotations", acr, AnnotationAzureClientID, AudienceAzure},
		{"azure: client id is not a GUID", "azure?serviceAccount=t/bad-client", acr, AnnotationAzureClientID, AudienceAzure},
		{"azure: no tenant", "azure?serviceAccount=t/no-tenant", acr, AnnotationAzureTenantID, AudienceAzure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := &fakeAccounts{annotations: accounts}
			if strings.Contains(tt.name, "refused") {
				fa.tokenErr = errors.New(`serviceaccounts "bad-role" is forbidden: cannot create resource "serviceaccounts/token"`)
			}
			spec, err := ParseSpec(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			src, err := New(spec, Target{Host: tt.host, APIURL: "https://127.0.0.1:1", ServiceAccounts: fa})
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Resolve(context.Background())
			wantStep(t, err, StepServiceAccount, "token-of-")
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v does not mention %q", err, tt.want)
			}
			if tt.audience != "" && (len(fa.audiences) != 1 || fa.audiences[0] != tt.audience) {
				t.Fatalf("token audiences %v, want [%s]", fa.audiences, tt.audience)
			}
		})
	}
}

func TestFailedLoginReplayed(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	calls := 0
	result := error(&StepError{Provider: AWS, Host: "h", Step: StepCloudCredentials, Err: errors.New("AccessDenied")})
	s := &Source{reg: Registry{Provider: AWS, Host: "h"}, now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	s.fetch = func(ctx context.Context) (authn.AuthConfig, time.Time, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if ctx.Err() != nil {
			return authn.AuthConfig{}, time.Time{}, ctx.Err()
		}
		if result != nil {
			return authn.AuthConfig{}, time.Time{}, result
		}
		return authn.AuthConfig{Username: "AWS", Password: "p"}, now.Add(time.Hour), nil
	}
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	for i := range 100 {
		_, _, err := s.ResolveExpiring(context.Background())
		var se *StepError
		if !errors.As(err, &se) || se.Step != StepCloudCredentials {
			t.Fatalf("image %d: %v, want the cloud credentials step", i, err)
		}
		var re *ReplayedError
		if (i > 0) != errors.As(err, &re) {
			t.Fatalf("image %d: replayed=%v: %v", i, errors.As(err, &re), err)
		}
		if i > 0 && !strings.Contains(err.Error(), "not retried before 10:00:30") {
			t.Fatalf("replayed error %q does not say when it is retried", err)
		}
	}
	if calls != 1 {
		t.Fatalf("%d logins for 100 images, want 1", calls)
	}
	advance(FailureTTL - time.Second)
	_, _, _ = s.ResolveExpiring(context.Background())
	if calls != 1 {
		t.Fatalf("retried before FailureTTL")
	}
	advance(time.Second)
	mu.Lock()
	result = nil
	mu.Unlock()
	if _, _, err := s.ResolveExpiring(context.Background()); err != nil || calls != 2 {
		t.Fatalf("after FailureTTL: %v, %d logins", err, calls)
	}
	// A success forgets the failure; a cancelled login is not remembered.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.ResolveExpiring(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, _, err := s.ResolveExpiring(context.Background()); err != nil || calls != 4 {
		t.Fatalf("after a cancelled login: %v, %d logins, want a new login", err, calls)
	}
}
