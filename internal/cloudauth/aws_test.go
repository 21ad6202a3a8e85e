package cloudauth

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	awsKeyID  = "AKIAUNITTEST0001"
	awsSecret = "unit-test-secret-access-key-0001"
	ecrTarget = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
)

// ecrFake answers ECR's GetAuthorizationToken (JSON 1.1 over POST /) with
// body for requests signed with awsKeyID in the expected region; others
// get ECR's UnrecognizedClientException.
type ecrFake struct {
	region string
	status int
	body   string
	calls  atomic.Int64
}

func (f *ecrFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	auth := r.Header.Get("Authorization")
	scope := fmt.Sprintf("Credential=%s/", awsKeyID)
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != ecrTarget || !strings.Contains(auth, scope) ||
		!strings.Contains(auth, "/"+f.region+"/ecr/aws4_request") {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid. (target %q)"}`, r.Header.Get("X-Amz-Target"))
		return
	}
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte(f.body))
}

func ecrToken(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestAWSLogin(t *testing.T) {
	const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	expires := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		spec     string
		region   string // the region the fake expects in the signature
		status   int
		body     string
		noKeys   bool
		tokenEnv string // AWS_WEB_IDENTITY_TOKEN_FILE content; "-" for a missing file
		step     string
		wantPass string
		wantExp  time.Time // zero: about 12 hours from now
		errText  string
	}{
		{name: "token with expiresAt", spec: "auto", region: "eu-west-1", status: 200,
			body:     fmt.Sprintf(`{"authorizationData":[{"authorizationToken":%q,"expiresAt":%d,"proxyEndpoint":"https://%s"}]}`, ecrToken("AWS:ecr-password-1"), expires.Unix(), host),
			wantPass: "ecr-password-1", wantExp: expires},
		{name: "without expiresAt ECR's 12 hours are assumed", spec: "aws", region: "eu-west-1", status: 200,
			body: fmt.Sprintf(`{"authorizationData":[{"authorizationToken":%q}]}`, ecrToken("AWS:ecr-password-2")), wantPass: "ecr-password-2"},
		{name: "region option signs for that region", spec: "aws?region=us-west-2", region: "us-west-2", status: 200,
			body: fmt.Sprintf(`{"authorizationData":[{"authorizationToken":%q}]}`, ecrToken("AWS:ecr-password-3")), wantPass: "ecr-password-3"},
		{name: "no authorization data", spec: "aws", region: "eu-west-1", status: 200, body: `{"authorizationData":[]}`,
			step: StepRegistryExchange, errText: "no authorization data"},
		{name: "token not base64", spec: "aws", region: "eu-west-1", status: 200, body: `{"authorizationData":[{"authorizationToken":"QVdTOnNlY3JldA=!"}]}`,
			step: StepRegistryExchange, errText: "not base64"},
		{name: "token without a colon", spec: "aws", region: "eu-west-1", status: 200,
			body: fmt.Sprintf(`{"authorizationData":[{"authorizationToken":%q}]}`, ecrToken("AWSnocolonsecret")), step: StepRegistryExchange, errText: "not user:password"},
		{name: "access denied", spec: "aws", region: "eu-west-1", status: 400,
			body: `{"__type":"AccessDeniedException","message":"User is not authorized to perform: ecr:GetAuthorizationToken"}`,
			step: StepRegistryExchange, errText: "AccessDeniedException"},
		{name: "no credentials at all", spec: "aws", region: "eu-west-1", noKeys: true, step: StepCloudCredentials},
		{name: "empty web identity token file", spec: "aws", region: "eu-west-1", tokenEnv: "", step: StepTokenFile, errText: "is empty"},
		{name: "missing web identity token file", spec: "aws", region: "eu-west-1", tokenEnv: "-", step: StepTokenFile, errText: "AWS_WEB_IDENTITY_TOKEN_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &ecrFake{region: tt.region, status: tt.status, body: tt.body}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			t.Setenv("AWS_ENDPOINT_URL_ECR", srv.URL)
			t.Setenv("AWS_MAX_ATTEMPTS", "1")
			if !tt.noKeys {
				t.Setenv("AWS_ACCESS_KEY_ID", awsKeyID)
				t.Setenv("AWS_SECRET_ACCESS_KEY", awsSecret)
			}
			switch {
			case tt.tokenEnv == "-":
				t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", t.TempDir()+"/absent")
			case tt.step == StepTokenFile:
				t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile(t, tt.tokenEnv))
			}
			s := mustSource(t, tt.spec, host, "")
			cfg, exp, err := s.ResolveExpiring(context.Background())
			wantStep(t, err, tt.step, awsSecret, "secret", "ecr-password")
			if err != nil {
				if !strings.Contains(err.Error(), tt.errText) || !strings.Contains(err.Error(), host) {
					t.Fatalf("error %q does not say %q and name %s", err, tt.errText, host)
				}
				if tt.step != StepRegistryExchange && fake.calls.Load() != 0 {
					t.Fatalf("ECR was called after failing at %s", tt.step)
				}
				return
			}
			if cfg.Username != "AWS" || cfg.Password != tt.wantPass {
				t.Fatalf("credentials %q/%q, want AWS/%s", cfg.Username, cfg.Password, tt.wantPass)
			}
			want := tt.wantExp
			if want.IsZero() {
				want = time.Now().Add(12 * time.Hour)
			}
			if d := exp.Sub(want); d < -time.Minute || d > time.Minute {
				t.Fatalf("expiry %v, want %v", exp, want)
			}
			if fake.calls.Load() != 1 {
				t.Fatalf("%d ECR calls, want 1", fake.calls.Load())
			}
		})
	}
}

func TestDecodeECRToken(t *testing.T) {
	tests := []struct {
		token, user, password, err string
	}{
		{token: ecrToken("AWS:pw"), user: "AWS", password: "pw"},
		{token: ecrToken("AWS:pw:with:colons"), user: "AWS", password: "pw:with:colons"},
		{token: ecrToken(":pw"), err: "not user:password"},
		{token: ecrToken("AWS:"), err: "not user:password"},
		{token: "", err: "not user:password"},
		{token: "%%%", err: "not base64"},
	}
	for _, tt := range tests {
		user, password, err := decodeECRToken(tt.token)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || (tt.token != "" && strings.Contains(err.Error(), tt.token)) {
				t.Errorf("decodeECRToken(%q) = %v, want %q", tt.token, err, tt.err)
			}
			continue
		}
		if err != nil || user != tt.user || password != tt.password {
			t.Errorf("decodeECRToken(%q) = %q, %q, %v", tt.token, user, password, err)
		}
	}
}
