package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// Verifier checks that a request proves knowledge of the configured secret.
// Implementations compare in constant time and never log the secret.
type Verifier interface {
	Verify(secret string, body []byte, r *http.Request) bool
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(secret string, body []byte, r *http.Request) bool

// Verify calls f.
func (f VerifierFunc) Verify(secret string, body []byte, r *http.Request) bool {
	return f(secret, body, r)
}

// QuerySecret accepts requests whose URL carries ?secret=<secret>
// (Docker Hub, Quay and Alibaba cannot send headers).
func QuerySecret() Verifier {
	return VerifierFunc(func(secret string, _ []byte, r *http.Request) bool {
		return secretEqual(r.URL.Query().Get("secret"), secret)
	})
}

// HeaderSecret accepts requests whose header name carries the secret verbatim
// (X-Webhook-Secret for CloudEvents, X-Gitlab-Token for GitLab).
func HeaderSecret(name string) Verifier {
	return VerifierFunc(func(secret string, _ []byte, r *http.Request) bool {
		return secretEqual(r.Header.Get(name), secret)
	})
}

// AuthorizationSecret accepts an Authorization header equal to the secret,
// or to "Bearer <secret>" (Harbor's auth header, ACR custom headers, the
// headers of a distribution notification endpoint).
func AuthorizationSecret() Verifier {
	return VerifierFunc(func(secret string, _ []byte, r *http.Request) bool {
		got := r.Header.Get("Authorization")
		exact := secretEqual(got, secret)
		bearer := secretEqual(got, "Bearer "+secret)
		return exact || bearer
	})
}

// HubSignature256 accepts GitHub's X-Hub-Signature-256: sha256=<hex> header,
// an HMAC-SHA256 of the raw body keyed with the secret.
func HubSignature256() Verifier {
	return VerifierFunc(func(secret string, body []byte, r *http.Request) bool {
		return VerifyHMACSHA256(secret, body, r.Header.Get("X-Hub-Signature-256"))
	})
}

// AnyOf accepts a request that any of the verifiers accepts. All of them run,
// so the time taken does not reveal which one matched.
func AnyOf(verifiers ...Verifier) Verifier {
	return VerifierFunc(func(secret string, body []byte, r *http.Request) bool {
		ok := false
		for _, v := range verifiers {
			if v.Verify(secret, body, r) {
				ok = true
			}
		}
		return ok
	})
}

// VerifyHMACSHA256 reports whether header is "sha256=" followed by the hex
// HMAC-SHA256 of body keyed with secret. An empty secret never verifies.
func VerifyHMACSHA256(secret string, body []byte, header string) bool {
	if secret == "" {
		return false
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// secretEqual compares in constant time, hashing first so that the length of
// the secret does not leak either. An empty secret never matches.
func secretEqual(got, secret string) bool {
	if secret == "" {
		return false
	}
	a := sha256.Sum256([]byte(got))
	b := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
