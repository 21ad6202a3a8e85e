package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/imagepilot/imagepilot/internal/holds"
)

// Checker runs a check: an update pass limited to what the request names
// (repo mode's cycle, the controller's filtered pass).
type Checker interface {
	Check(ctx context.Context, req CheckRequest) (CheckResult, error)
}

// CheckerFunc adapts a function to Checker.
type CheckerFunc func(ctx context.Context, req CheckRequest) (CheckResult, error)

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context, req CheckRequest) (CheckResult, error) {
	return f(ctx, req)
}

// NewBackend returns the one Backend of both modes: checks go to checker,
// holds to the mode's hold service; a hold or release naming nothing
// managed is ErrNotFound.
func NewBackend(checker Checker, hs *holds.Service) Backend {
	return backend{checker: checker, holds: hs}
}

type backend struct {
	checker Checker
	holds   *holds.Service
}

// Check runs the check.
func (b backend) Check(ctx context.Context, req CheckRequest) (CheckResult, error) {
	return b.checker.Check(ctx, req)
}

// Holds lists the holds.
func (b backend) Holds(ctx context.Context) (holds.Set, error) {
	return b.holds.List(ctx)
}

// Hold places a hold.
func (b backend) Hold(ctx context.Context, h holds.Hold) error {
	_, err := b.holds.Hold(ctx, h)
	return notFound(err)
}

// Release removes a hold.
func (b backend) Release(ctx context.Context, application, image string) error {
	return notFound(b.holds.Release(ctx, application, image))
}

// notFound marks holds.ErrNoSuchImage as ErrNotFound (answered 404).
func notFound(err error) error {
	if errors.Is(err, holds.ErrNoSuchImage) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}
