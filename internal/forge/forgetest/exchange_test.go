package forgetest

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// TestAppExchange: POST /app/installations/{id}/access_tokens takes an
// RS256 JWT issued by the App id and signed with its key, as GitHub
// documents, and answers 201 {"token","expires_at"}.
func TestAppExchange(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	sign := func(method jwt.SigningMethod, k any, iss string, exp time.Duration) string {
		now := time.Now()
		tok, err := jwt.NewWithClaims(method, jwt.RegisteredClaims{Issuer: iss, IssuedAt: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(exp))}).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(jwt.SigningMethodRS256, key, "42", 9*time.Minute)
	const path = "/api/v3/app/installations/7/access_tokens"
	tests := []struct {
		name, path, auth string
		fail             int
		status           int
		message          string
	}{
		{"valid", path, "Bearer " + good, 0, 201, ""},
		{"another installation", "/api/v3/app/installations/8/access_tokens", "Bearer " + good, 0, 404, "Not Found"},
		{"another App", path, "Bearer " + sign(jwt.SigningMethodRS256, key, "43", 9*time.Minute), 0, 401, "A JSON web token could not be decoded"},
		{"another key", path, "Bearer " + sign(jwt.SigningMethodRS256, other, "42", 9*time.Minute), 0, 401, "A JSON web token could not be decoded"},
		{"HMAC instead of RS256", path, "Bearer " + sign(jwt.SigningMethodHS256, []byte("secret"), "42", 9*time.Minute), 0, 401, "A JSON web token could not be decoded"},
		{"expired", path, "Bearer " + sign(jwt.SigningMethodRS256, key, "42", -time.Second), 0, 401, "A JSON web token could not be decoded"},
		{"token scheme", path, "token " + good, 0, 401, "A JSON web token could not be decoded"},
		{"injected failure", path, "Bearer " + good, 500, 500, "injected failure 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, GitHub, "team/app", "ghs_installation")
			s.AppID, s.AppInstallationID, s.AppKey = 42, 7, &key.PublicKey
			s.Fail("exchange", tt.fail)
			status, _, body := call(t, s, http.MethodPost, tt.path, map[string]string{"Authorization": tt.auth}, nil)
			m, _ := body.(map[string]any)
			if status != tt.status {
				t.Fatalf("HTTP %d %s, want %d", status, jsonText(body), tt.status)
			}
			if tt.status != 201 {
				if m["message"] != tt.message || s.Exchanges() != 0 {
					t.Fatalf("message %v, %d exchanges", m["message"], s.Exchanges())
				}
				return
			}
			exp, err := time.Parse(time.RFC3339, m["expires_at"].(string))
			if m["token"] != "ghs_installation" || err != nil || time.Until(exp) < 50*time.Minute || s.Exchanges() != 1 {
				t.Fatalf("answer %s (%v), %d exchanges", jsonText(body), err, s.Exchanges())
			}
			// The installation token then works for the API.
			if status, _, _ := call(t, s, http.MethodGet, "/api/v3/repos/team/app/pulls", map[string]string{"Authorization": "token " + m["token"].(string)}, nil); status != 200 {
				t.Fatalf("API with the installation token: HTTP %d", status)
			}
		})
	}
	t.Run("without an App key the path is an ordinary, authenticated one", func(t *testing.T) {
		s := New(t, GitHub, "team/app", "ghs_installation")
		status, _, body := call(t, s, http.MethodPost, path, map[string]string{"Authorization": "Bearer " + good}, nil)
		if status != 401 || !strings.Contains(jsonText(body), "Bad credentials") || s.Exchanges() != 0 {
			t.Fatalf("HTTP %d %s", status, jsonText(body))
		}
	})
}
