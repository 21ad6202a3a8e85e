package cloudauth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// jwtPayload decodes the claims of a JWT without verifying it: the
// registry verifies its own tokens; this package only reads when they
// expire and which tenant issued them.
func jwtPayload(token string) (map[string]any, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	if json.Unmarshal(raw, &claims) != nil {
		return nil, false
	}
	return claims, true
}

// jwtExpiry returns the exp claim of a JWT.
func jwtExpiry(token string) (time.Time, bool) {
	claims, ok := jwtPayload(token)
	if !ok {
		return time.Time{}, false
	}
	exp, ok := claims["exp"].(float64)
	if !ok || exp <= 0 || exp > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

// jwtClaim returns a string claim of a JWT, or "".
func jwtClaim(token, name string) string {
	claims, ok := jwtPayload(token)
	if !ok {
		return ""
	}
	s, _ := claims[name].(string)
	return s
}
