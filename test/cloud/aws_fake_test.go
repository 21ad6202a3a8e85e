package cloud

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// awsFake is AWS STS (query protocol, AssumeRoleWithWebIdentity) and ECR
// (JSON 1.1, GetAuthorizationToken) on one loopback server; point
// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_ECR at it.
type awsFake struct {
	iss      *issued
	role     string // the only RoleArn STS accepts
	webToken string // the only web identity token STS accepts
	// acceptToken, when set, decides about the web identity token instead
	// of webToken (service account tokens of the real API server).
	acceptToken func(token string) bool
	lifetime    time.Duration // ECR token lifetime

	mu   sync.Mutex
	keys map[string]bool // access key ids STS issued

	sts, ecr atomic.Int64
}

func newAWSFake(iss *issued, role, webToken string) *awsFake {
	return &awsFake{iss: iss, role: role, webToken: webToken, lifetime: 12 * time.Hour, keys: map[string]bool{}}
}

func (f *awsFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") == "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" {
		f.serveECR(w, r)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "AssumeRoleWithWebIdentity" {
		stsError(w, http.StatusBadRequest, "InvalidAction", "unsupported action")
		return
	}
	f.serveSTS(w, r)
}

func (f *awsFake) serveSTS(w http.ResponseWriter, r *http.Request) {
	f.sts.Add(1)
	switch {
	case r.PostForm.Get("RoleArn") != f.role:
		stsError(w, http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		return
	case f.acceptToken != nil && !f.acceptToken(r.PostForm.Get("WebIdentityToken")),
		f.acceptToken == nil && r.PostForm.Get("WebIdentityToken") != f.webToken:
		stsError(w, http.StatusBadRequest, "InvalidIdentityToken", "Incorrect token audience")
		return
	}
	key := "ASIA" + strings.ToUpper(randomHex(8))
	f.mu.Lock()
	f.keys[key] = true
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:argocd:imagepilot</SubjectFromWebIdentityToken>
    <AssumedRoleUser><Arn>%s/session</Arn><AssumedRoleId>AROA:session</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>%s</AccessKeyId>
      <SecretAccessKey>%s</SecretAccessKey>
      <SessionToken>%s</SessionToken>
      <Expiration>%s</Expiration>
    </Credentials>
    <Audience>sts.amazonaws.com</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`, f.role, key, randomHex(20), randomHex(32), time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-2</RequestId></ErrorResponse>`, code, msg)
}

// serveECR issues a registry password when the request is signed with an
// access key STS issued (the Credential= of the SigV4 Authorization).
func (f *awsFake) serveECR(w http.ResponseWriter, r *http.Request) {
	f.ecr.Add(1)
	auth := r.Header.Get("Authorization")
	_, cred, _ := strings.Cut(auth, "Credential=")
	key, _, _ := strings.Cut(cred, "/")
	f.mu.Lock()
	known := f.keys[key]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if !known || !strings.Contains(auth, "/ecr/aws4_request") {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}`))
		return
	}
	password := randomHex(24)
	f.iss.add("AWS", password)
	_ = json.NewEncoder(w).Encode(map[string]any{"authorizationData": []map[string]any{{
		"authorizationToken": base64.StdEncoding.EncodeToString([]byte("AWS:" + password)),
		"expiresAt":          float64(time.Now().Add(f.lifetime).UnixMilli()) / 1000,
		"proxyEndpoint":      "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
	}}})
}
