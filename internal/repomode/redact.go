package repomode

import (
	"net/url"
	"strings"

	"github.com/imagepilot/imagepilot/internal/git"
)

// RedactURL returns the repository address as messages may show it; it is
// git.RedactURL, the one redaction every package uses.
func RedactURL(s string) string { return git.RedactURL(s) }

// redactedError hides the password of a repository address in an error's
// message; errors.Is and errors.As still see the original.
type redactedError struct {
	err     error
	secrets []string
}

// redactError returns err with any password of rawURL hidden in its
// message (nil stays nil).
func redactError(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	secrets := []string{}
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			secrets = append(secrets, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	return &redactedError{err: err, secrets: secrets}
}

func (e *redactedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return msg
}

func (e *redactedError) Unwrap() error { return e.err }

// MoveUserinfo takes the user name and password out of an http(s)
// repository URL and into creds (when creds names neither), returning the
// URL without them, so that the password lives in one place only and no
// message, log line or report that names the repository can show it.
// Other addresses come back unchanged.
func MoveUserinfo(rawURL string, creds git.Credentials) (string, git.Credentials) {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil || (u.Scheme != "https" && u.Scheme != "http") {
		return rawURL, creds
	}
	if creds.Username == "" && creds.Password == "" {
		creds.Username = u.User.Username()
		creds.Password, _ = u.User.Password()
	}
	u.User = nil
	return u.String(), creds
}
