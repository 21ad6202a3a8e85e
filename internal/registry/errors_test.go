package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imagepilot/imagepilot/internal/policy"
)

func TestWrapErrClassifies(t *testing.T) {
	terr := func(status int, codes ...transport.ErrorCode) *transport.Error {
		e := &transport.Error{StatusCode: status}
		for _, c := range codes {
			e.Errors = append(e.Errors, transport.Diagnostic{Code: c, Message: "m"})
		}
		return e
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"429", terr(http.StatusTooManyRequests), ErrRateLimited},
		{"401", terr(http.StatusUnauthorized), ErrUnauthorized},
		{"403", terr(http.StatusForbidden), ErrUnauthorized},
		{"404", terr(http.StatusNotFound), ErrNotFound},
		{"500", terr(http.StatusInternalServerError), ErrTransport},
		{"status wins over the body's code", terr(http.StatusNotFound, transport.DeniedErrorCode), ErrNotFound},
		{"TOOMANYREQUESTS code in a 503", terr(http.StatusServiceUnavailable, transport.TooManyRequestsErrorCode), ErrRateLimited},
		{"DENIED code in a 400", terr(http.StatusBadRequest, transport.DeniedErrorCode), ErrUnauthorized},
		{"UNAUTHORIZED code in a 400", terr(http.StatusBadRequest, transport.UnauthorizedErrorCode), ErrUnauthorized},
		{"MANIFEST_UNKNOWN code in a 400", terr(http.StatusBadRequest, transport.ManifestUnknownErrorCode), ErrNotFound},
		{"BLOB_UNKNOWN code in a 400", terr(http.StatusBadRequest, transport.BlobUnknownErrorCode), ErrNotFound},
		{"NAME_UNKNOWN after an unrelated code", terr(http.StatusBadRequest, transport.SizeInvalidErrorCode, transport.NameUnknownErrorCode), ErrNotFound},
		{"unknown code in a 400", terr(http.StatusBadRequest, transport.SizeInvalidErrorCode), ErrTransport},
		{"wrapped transport error", fmt.Errorf("get: %w", terr(http.StatusTooManyRequests)), ErrRateLimited},
		{"request timeout", fmt.Errorf("GET x: %w", errRequestTimeout), ErrTimeout},
		{"incomplete listing", fmt.Errorf("%w: trailing data", errIncompleteListing), ErrTransport},
		{"plain error", errors.New("connection refused"), ErrTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrapErr("list tags of r/x", tt.err)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.want {
				t.Fatalf("wrapErr = %#v, want Kind %v", err, tt.want)
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, tt.err) {
				t.Errorf("%v must be both %v and its cause", err, tt.want)
			}
			for _, other := range []error{ErrRateLimited, ErrUnauthorized, ErrNotFound, ErrTransport, ErrTimeout, ErrNoMatchingPlatform} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("%v also matches %v", err, other)
				}
			}
			var te *transport.Error
			if errors.As(tt.err, &te) && !errors.As(err, &te) {
				t.Error("the *transport.Error is not reachable with errors.As")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "list tags of r/x: "+tt.want.Error()+": ") {
				t.Errorf("message %q, want op: kind: cause", msg)
			}
		})
	}
}

func TestWrapErrKeepsIdentity(t *testing.T) {
	if wrapErr("op", nil) != nil {
		t.Fatal("wrapErr(nil) != nil")
	}
	inner := &Error{Op: "get digest", Kind: ErrNotFound, Err: errors.New("gone")}
	err := wrapErr("outer", inner)
	var e *Error
	if !errors.As(err, &e) || e != inner || !strings.HasPrefix(err.Error(), "outer: get digest") {
		t.Fatalf("already classified error rewrapped: %v", err)
	}
	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		err := wrapErr("op", fmt.Errorf("x: %w", ctxErr))
		if !errors.Is(err, ctxErr) || errors.As(err, &e) || errors.Is(err, ErrTransport) {
			t.Errorf("context error %v classified as a registry failure: %v", ctxErr, err)
		}
	}
	pe := platformErr("r/x@sha256:1", &policy.PlatformError{Want: []policy.Platform{{OS: "linux", Architecture: "s390x"}}})
	if !errors.Is(pe, ErrNoMatchingPlatform) || !errors.Is(pe, policy.ErrNoMatchingPlatform) {
		t.Errorf("platform error %v is not ErrNoMatchingPlatform", pe)
	}
	var target *policy.PlatformError
	if !errors.As(pe, &target) || target.Want[0].Architecture != "s390x" {
		t.Errorf("*policy.PlatformError not reachable: %v", pe)
	}
}
