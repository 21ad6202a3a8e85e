package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// Sentinel errors; every error this package returns from a registry call
// wraps exactly one of them.
var (
	// ErrRateLimited: the registry answered 429 Too Many Requests (after retries).
	ErrRateLimited = errors.New("registry rate limit exceeded")
	// ErrUnauthorized: the registry refused the credentials (401 or 403).
	ErrUnauthorized = errors.New("registry refused credentials")
	// ErrNotFound: the repository, tag or manifest does not exist.
	ErrNotFound = errors.New("not found in registry")
	// ErrTransport: any other failure talking to the registry (5xx after
	// retries, connection errors, malformed or incomplete answers).
	ErrTransport = errors.New("registry request failed")
	// ErrTimeout: the registry did not answer in time (a request, body
	// included, or a whole operation such as a paged listing ran past its
	// bound), or it timed out earlier in the same cycle.
	ErrTimeout = errors.New("registry did not answer in time")
	// ErrNoMatchingPlatform: the image behind a tag (a single image's
	// config, or every child of an index) is for none of the wanted
	// platforms.
	ErrNoMatchingPlatform = policy.ErrNoMatchingPlatform
)

// Error is a failed registry operation. It unwraps to both its Kind (one of
// the sentinels) and the underlying error, e.g. a *transport.Error.
type Error struct {
	// Op says what was attempted, e.g. "list tags of ghcr.io/a/b".
	Op string
	// Kind is one of the package's sentinel errors.
	Kind error
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s: %v: %v", e.Op, e.Kind, e.Err) }

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// wrapErr classifies err and wraps it with op. Context errors and errors
// that are already classified keep their identity.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return &Error{Op: op, Kind: classify(err), Err: err}
}

// classify maps an error to a sentinel kind.
func classify(err error) error {
	if errors.Is(err, errRequestTimeout) {
		return ErrTimeout
	}
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return ErrTransport
	}
	return kindForStatus(terr.StatusCode, terr)
}

func kindForStatus(code int, terr *transport.Error) error {
	switch {
	case code == http.StatusTooManyRequests:
		return ErrRateLimited
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return ErrUnauthorized
	case code == http.StatusNotFound:
		return ErrNotFound
	}
	if terr != nil {
		for _, d := range terr.Errors {
			switch d.Code {
			case transport.TooManyRequestsErrorCode:
				return ErrRateLimited
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return ErrUnauthorized
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
				return ErrNotFound
			}
		}
	}
	return ErrTransport
}
