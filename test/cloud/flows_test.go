package cloud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// awsCredentialsJSON answers with temporary credentials the ECR fake
// accepts (container credentials and IMDS share this shape).
func awsCredentialsJSON(w http.ResponseWriter, fake *awsFake, withCode bool) {
	key := "ASIA" + strings.ToUpper(randomHex(8))
	fake.mu.Lock()
	fake.keys[key] = true
	fake.mu.Unlock()
	body := map[string]any{
		"AccessKeyId": key, "SecretAccessKey": randomHex(20), "Token": randomHex(32),
		"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	}
	if withCode {
		body["Code"], body["Type"], body["LastUpdated"] = "Success", "AWS-HMAC", time.Now().UTC().Format(time.RFC3339)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// podIdentityAgent is the EKS Pod Identity agent's credentials endpoint:
// GET with the projected token file's content as Authorization.
type podIdentityAgent struct {
	fake  *awsFake
	token string
	calls atomic.Int64
}

func (a *podIdentityAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	if r.Method != http.MethodGet || r.URL.Path != "/v1/credentials" || r.Header.Get("Authorization") != a.token {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code":"AccessDeniedException","message":"Service account token cannot be empty or invalid"}`))
		return
	}
	awsCredentialsJSON(w, a.fake, false)
}

func TestAWSPodIdentityEndToEnd(t *testing.T) {
	iss := newIssued()
	fake := newAWSFake(iss, "", "")
	ecr := httptest.NewServer(fake)
	t.Cleanup(ecr.Close)
	token := "eyJhbGciOiJSUzI1NiJ9.pod-identity." + randomHex(8)
	agent := &podIdentityAgent{fake: fake, token: token}
	agentSrv := httptest.NewServer(agent)
	t.Cleanup(agentSrv.Close)
	reg := startRegistry(t, iss, nil)
	t.Setenv("AWS_ENDPOINT_URL_ECR", ecr.URL)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agentSrv.URL+"/v1/credentials")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", writeFile(t, "eks-pod-identity-token", token))
	const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

	code, out := check(t, writeConf(t, host, reg.URL, "provider:auto"), host+"/team/app")
	if code != 0 || !strings.Contains(out, "1.1.0") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if agent.calls.Load() != 1 || fake.ecr.Load() != 1 || fake.sts.Load() != 0 {
		t.Fatalf("%d agent, %d ECR, %d STS calls; want 1, 1, 0", agent.calls.Load(), fake.ecr.Load(), fake.sts.Load())
	}
	t.Run("a token the agent refuses fails at the cloud credentials step", func(t *testing.T) {
		t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", writeFile(t, "eks-pod-identity-token", "stale"))
		code, out := check(t, writeConf(t, host, reg.URL, "provider:aws"), host+"/team/app")
		if code == 0 || !strings.Contains(out, "cloud credentials") || strings.Contains(out, "stale") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("a missing token file fails at the token file step", func(t *testing.T) {
		t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/eks-pod-identity-token")
		code, out := check(t, writeConf(t, host, reg.URL, "provider:aws"), host+"/team/app")
		if code == 0 || !strings.Contains(out, "token file") || !strings.Contains(out, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}

// imdsV2 is the EC2 instance metadata service, session-token (IMDSv2)
// only: PUT /latest/api/token, then GETs carrying the token.
type imdsV2 struct {
	fake             *awsFake
	role             string
	sessions, creds  atomic.Int64
	unauthorizedGets atomic.Int64
	session          atomic.Value // string
}

func (m *imdsV2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
		if r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") == "" {
			http.Error(w, "missing TTL", http.StatusBadRequest)
			return
		}
		m.sessions.Add(1)
		tok := "imds-" + randomHex(12)
		m.session.Store(tok)
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
		_, _ = w.Write([]byte(tok))
		return
	}
	if s, _ := m.session.Load().(string); s == "" || r.Header.Get("X-Aws-Ec2-Metadata-Token") != s {
		m.unauthorizedGets.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	for _, base := range []string{"/latest/meta-data/iam/security-credentials/", "/latest/meta-data/iam/security-credentials-extended/"} {
		switch r.URL.Path {
		case base:
			_, _ = w.Write([]byte(m.role))
			return
		case base + m.role:
			m.creds.Add(1)
			awsCredentialsJSON(w, m.fake, true)
			return
		}
	}
	http.NotFound(w, r)
}

func TestAWSInstanceMetadataV2EndToEnd(t *testing.T) {
	iss := newIssued()
	fake := newAWSFake(iss, "", "")
	ecr := httptest.NewServer(fake)
	t.Cleanup(ecr.Close)
	md := &imdsV2{fake: fake, role: "node-role"}
	mdSrv := httptest.NewServer(md)
	t.Cleanup(mdSrv.Close)
	reg := startRegistry(t, iss, nil)
	t.Setenv("AWS_ENDPOINT_URL_ECR", ecr.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", mdSrv.URL)
	const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

	code, out := check(t, writeConf(t, host, reg.URL, "provider:aws"), host+"/team/app")
	if code != 0 || !strings.Contains(out, "1.1.0") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if md.sessions.Load() < 1 || md.creds.Load() != 1 || fake.ecr.Load() != 1 {
		t.Fatalf("%d IMDS sessions, %d credential reads, %d ECR calls; want >=1, 1, 1", md.sessions.Load(), md.creds.Load(), fake.ecr.Load())
	}
	if md.unauthorizedGets.Load() != 0 {
		t.Fatalf("%d metadata reads without the IMDSv2 session token", md.unauthorizedGets.Load())
	}
	t.Run("metadata service down fails at the cloud credentials step", func(t *testing.T) {
		mdSrv.Close()
		code, out := check(t, writeConf(t, host, reg.URL, "provider:aws"), host+"/team/app")
		if code == 0 || !strings.Contains(out, "cloud credentials") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}

// googleSTS is Google's Security Token Service token exchange (RFC 8693)
// accepting only the federated subject token for the pool's audience.
type googleSTS struct {
	iss      *issued
	audience string
	subject  string
	calls    atomic.Int64
}

func (s *googleSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	_ = r.ParseForm()
	f := r.PostForm
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/v1/token" || f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange" ||
		f.Get("audience") != s.audience || f.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt" || f.Get("subject_token") != s.subject {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"The audience or subject token is invalid."}`))
		return
	}
	tok := "ya29.sts-" + randomHex(16)
	s.iss.add("oauth2accesstoken", tok)
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in": 3600})
}

func TestGCPWorkloadIdentityFederationEndToEnd(t *testing.T) {
	iss := newIssued()
	const audience = "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/k8s/providers/cluster"
	subject := "eyJhbGciOiJSUzI1NiJ9.k8s-sa." + randomHex(8)
	sts := &googleSTS{iss: iss, audience: audience, subject: subject}
	srv := httptest.NewTLSServer(sts)
	t.Cleanup(srv.Close)
	reg := startRegistry(t, iss, nil)
	credFile := func(t *testing.T, subjectFile string) string {
		return writeFile(t, "external-account.json", fmt.Sprintf(`{"type":"external_account","audience":%q,
"subject_token_type":"urn:ietf:params:oauth:token-type:jwt","token_url":%q,"credential_source":{"file":%q}}`, audience, srv.URL+"/v1/token", subjectFile))
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", credFile(t, writeFile(t, "sa-token", subject)))
	const host = "europe-west1-docker.pkg.dev"

	code, out := check(t, writeConf(t, host, reg.URL, "provider:auto"), host+"/team/app")
	if code != 0 || !strings.Contains(out, "1.1.0") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if sts.calls.Load() != 1 {
		t.Fatalf("%d STS exchanges, want 1", sts.calls.Load())
	}
	t.Run("a subject token STS refuses fails at the cloud credentials step", func(t *testing.T) {
		t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", credFile(t, writeFile(t, "sa-token", "forged")))
		code, out := check(t, writeConf(t, host, reg.URL, "provider:gcp"), host+"/team/app")
		if code == 0 || !strings.Contains(out, "cloud credentials") || !strings.Contains(out, "invalid_grant") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}
