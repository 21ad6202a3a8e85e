package credentials

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// SplitUserPassword splits "user:password" on the first colon, so the
// password may contain colons (a Google "_json_key" JSON key does). what
// names the value's origin for error messages; the value itself never
// appears in an error.
func SplitUserPassword(value, what string) (authn.AuthConfig, error) {
	user, password, ok := strings.Cut(value, ":")
	switch {
	case !ok:
		return authn.AuthConfig{}, fmt.Errorf("%s: value is not in the form user:password", what)
	case user == "":
		return authn.AuthConfig{}, fmt.Errorf("%s: user name is empty", what)
	case password == "":
		return authn.AuthConfig{}, fmt.Errorf("%s: password is empty", what)
	}
	return authn.AuthConfig{Username: user, Password: password}, nil
}

// trimNewlines drops the line breaks a value usually ends with when it
// was written by echo or a text editor.
func trimNewlines(s string) string {
	return strings.TrimRight(s, "\r\n")
}
