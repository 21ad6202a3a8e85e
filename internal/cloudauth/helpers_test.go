package cloudauth

import (
	"encoding/base64"
	"encoding/json"
)

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// testJWT builds an unsigned JWT with the claims (only its payload is read).
func testJWT(claims map[string]any) string {
	c, _ := json.Marshal(claims)
	return b64url(`{"alg":"none"}`) + "." + b64url(string(c)) + ".sig"
}
