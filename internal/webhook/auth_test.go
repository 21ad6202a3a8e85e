package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyHMACSHA256(t *testing.T) {
	body := []byte(`{"action":"published"}`)
	good := sign("s3cret", body)
	tests := []struct {
		name, secret, header string
		body                 []byte
		want                 bool
	}{
		{"good", "s3cret", good, body, true},
		{"good with surrounding space", "s3cret", " " + good + " ", body, true},
		{"other secret", "other", good, body, false},
		{"body changed by one byte", "s3cret", good, []byte(`{"action":"published "}`), false},
		{"missing", "s3cret", "", body, false},
		{"sha1 prefix", "s3cret", "sha1=" + good[len("sha256="):], body, false},
		{"not hex", "s3cret", "sha256=zz", body, false},
		{"truncated", "s3cret", good[:len(good)-2], body, false},
		{"empty secret never verifies", "", sign("", body), body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyHMACSHA256(tt.secret, tt.body, tt.header); got != tt.want {
				t.Errorf("VerifyHMACSHA256 = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifiers(t *testing.T) {
	tests := []struct {
		name     string
		verifier Verifier
		target   string
		header   map[string]string
		want     bool
	}{
		{"query good", QuerySecret(), "/webhook?secret=s3cret", nil, true},
		{"query bad", QuerySecret(), "/webhook?secret=s3cre", nil, false},
		{"query missing", QuerySecret(), "/webhook", nil, false},
		{"header good", HeaderSecret("X-Gitlab-Token"), "/webhook", map[string]string{"X-Gitlab-Token": "s3cret"}, true},
		{"header in wrong place", HeaderSecret("X-Gitlab-Token"), "/webhook?secret=s3cret", nil, false},
		{"authorization exact", AuthorizationSecret(), "/webhook", map[string]string{"Authorization": "s3cret"}, true},
		{"authorization bearer", AuthorizationSecret(), "/webhook", map[string]string{"Authorization": "Bearer s3cret"}, true},
		{"authorization basic", AuthorizationSecret(), "/webhook", map[string]string{"Authorization": "Basic s3cret"}, false},
		{"any of: second matches", AnyOf(QuerySecret(), HeaderSecret("X-Webhook-Secret")), "/webhook", map[string]string{"X-Webhook-Secret": "s3cret"}, true},
		{"any of: none", AnyOf(QuerySecret(), HeaderSecret("X-Webhook-Secret")), "/webhook?secret=x", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.verifier.Verify("s3cret", nil, newRequest(tt.target, tt.header)); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSecretEqualRejectsEmptySecret(t *testing.T) {
	if secretEqual("", "") {
		t.Fatal("empty secret matched an empty credential")
	}
}
