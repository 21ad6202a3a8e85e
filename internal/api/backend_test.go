package api

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/imagepilot/imagepilot/internal/holds"
)

// errStore is a holds.Store whose every change fails with err.
type errStore struct{ err error }

func (s errStore) List(context.Context) (holds.Set, error)      { return holds.Set{}, s.err }
func (s errStore) Place(context.Context, holds.Hold) error      { return s.err }
func (s errStore) Remove(context.Context, string, string) error { return s.err }

func TestBackendMapsErrors(t *testing.T) {
	tests := []struct {
		name         string
		storeErr     error
		wantNotFound bool
		wantStatus   int
	}{
		{"no such image is 404", fmt.Errorf("%w: web", holds.ErrNoSuchImage), true, 404},
		{"store failure is 502", errors.New("push rejected"), false, 502},
		{"invalid is 400", fmt.Errorf("%w: bad", holds.ErrInvalid), false, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBackend(CheckerFunc(func(context.Context, CheckRequest) (CheckResult, error) { return CheckResult{}, nil }),
				&holds.Service{Store: errStore{tt.storeErr}})
			for op, err := range map[string]error{
				"hold":    b.Hold(context.Background(), holds.Hold{Application: "web", Image: "web"}),
				"release": b.Release(context.Background(), "web", "web"),
			} {
				if !errors.Is(err, tt.storeErr) || errors.Is(err, ErrNotFound) != tt.wantNotFound || statusOf(err) != tt.wantStatus {
					t.Errorf("%s: %v (status %d), want %v wrapped, not found %v, status %d", op, err, statusOf(err), tt.storeErr, tt.wantNotFound, tt.wantStatus)
				}
			}
		})
	}
}

func TestBackendCheckGoesToTheChecker(t *testing.T) {
	var got CheckRequest
	b := NewBackend(CheckerFunc(func(_ context.Context, req CheckRequest) (CheckResult, error) {
		got = req
		return CheckResult{Decisions: []Decision{{Application: "web"}}}, nil
	}), &holds.Service{Store: errStore{}})
	res, err := b.Check(context.Background(), CheckRequest{Application: "web", Image: "api"})
	if err != nil || len(res.Decisions) != 1 || got != (CheckRequest{Application: "web", Image: "api"}) {
		t.Fatalf("check %+v %v, request seen %+v", res, err, got)
	}
}
