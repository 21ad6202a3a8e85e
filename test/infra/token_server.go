package infra

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TokenServer is a Docker registry token server (the protocol Docker Hub,
// GHCR and ACR speak) as an http.Handler: GET /token with Basic auth, and
// the OAuth2 POST form (grant_type=password or refresh_token). Tokens are
// ES256 JWTs with the signing certificate in x5c; the registry trusts it
// through auth.token.rootcertbundle (CertPEM).
type TokenServer struct {
	// Service is the audience, the registry's auth.token.service.
	Service string
	// Issuer is the iss claim, the registry's auth.token.issuer.
	Issuer string
	// CertPEM is the signing certificate for rootcertbundle.
	CertPEM []byte
	// Accept, when set, decides which user/password pairs (Basic auth and
	// the password grant) get tokens instead of the fixed pair, e.g. only
	// the temporary credentials a fake cloud endpoint issued.
	Accept func(user, password string) bool
	// GrantFirstScopeOnly makes a token grant only the first scope asked
	// for, as token servers that read one scope parameter do.
	GrantFirstScopeOnly bool

	username, password string
	lifetime           time.Duration
	key                *ecdsa.PrivateKey
	certDER            []byte
	issued             atomic.Int64
	mu                 sync.Mutex
	refresh            map[string]string // refresh token -> user
}

// NewTokenServer creates a token server accepting username/password and
// issuing tokens valid for lifetime.
func NewTokenServer(t testing.TB, username, password string, lifetime time.Duration) *TokenServer {
	t.Helper()
	key := regKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "imagepilot test token issuer"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("token server certificate: %v", err)
	}
	return &TokenServer{
		Service: "imagepilot-test-registry", Issuer: "imagepilot-test-issuer",
		CertPEM: regPEM("CERTIFICATE", der), certDER: der, key: key,
		username: username, password: password, lifetime: lifetime,
		refresh: map[string]string{},
	}
}

// Issued returns how many tokens were handed out.
func (s *TokenServer) Issued() int { return int(s.issued.Load()) }

// RefreshToken returns an OAuth2 refresh (identity) token for the user,
// as `docker login` stores for ACR-style registries.
func (s *TokenServer) RefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := "refresh-" + randomID()
	s.refresh[tok] = s.username
	return tok
}

// ServeHTTP implements http.Handler.
func (s *TokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var user string
	var ok bool
	switch r.Method {
	case http.MethodGet:
		user, ok = s.basicUser(r)
	case http.MethodPost:
		user, ok = s.formUser(r)
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
		return
	}
	scopes := r.URL.Query()["scope"]
	if r.Method == http.MethodPost {
		scopes = strings.Fields(r.PostForm.Get("scope"))
	}
	tok, err := s.sign(user, scopes)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.issued.Add(1)
	body := map[string]any{
		"token": tok, "access_token": tok,
		"expires_in": int(s.lifetime / time.Second), "issued_at": time.Now().UTC().Format(time.RFC3339),
	}
	if r.Method == http.MethodPost {
		body["refresh_token"] = s.RefreshToken()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func (s *TokenServer) basicUser(r *http.Request) (string, bool) {
	u, p, ok := r.BasicAuth()
	return u, ok && s.accepts(u, p)
}

func (s *TokenServer) formUser(r *http.Request) (string, bool) {
	if err := r.ParseForm(); err != nil {
		return "", false
	}
	switch r.PostForm.Get("grant_type") {
	case "password":
		u := r.PostForm.Get("username")
		return u, s.accepts(u, r.PostForm.Get("password"))
	case "refresh_token":
		s.mu.Lock()
		defer s.mu.Unlock()
		u, ok := s.refresh[r.PostForm.Get("refresh_token")]
		return u, ok
	}
	return "", false
}

func (s *TokenServer) accepts(user, password string) bool {
	if s.Accept != nil {
		return s.Accept(user, password)
	}
	return user == s.username && password == s.password
}

// access is one granted scope in the token's access claim.
type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// sign issues an ES256 JWT granting every requested scope.
func (s *TokenServer) sign(user string, scopes []string) (string, error) {
	header := map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(s.certDER)}}
	now := time.Now()
	claims := map[string]any{
		"iss": s.Issuer, "sub": user, "aud": s.Service, "jti": randomID(),
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(s.lifetime).Unix(),
		"access": s.granted(scopes),
	}
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	digest := sha256.Sum256([]byte(input))
	r, sgn, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sgn.FillBytes(sig[32:])
	return input + "." + b64(sig), nil
}

// granted is what a token for scopes grants.
func (s *TokenServer) granted(scopes []string) []access {
	g := grants(scopes)
	if s.GrantFirstScopeOnly && len(g) > 1 {
		g = g[:1]
	}
	return g
}

// grants parses scopes "repository:name:pull,push" into access entries.
func grants(scopes []string) []access {
	out := []access{}
	for _, scope := range scopes {
		for _, one := range strings.Fields(scope) {
			first := strings.Index(one, ":")
			last := strings.LastIndex(one, ":")
			if first < 0 || last <= first {
				continue
			}
			out = append(out, access{Type: one[:first], Name: one[first+1 : last], Actions: strings.Split(one[last+1:], ",")})
		}
	}
	return out
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return b64(b)
}
