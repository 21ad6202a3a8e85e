package holds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNoSuchImage marks a hold naming no managed image, or a release naming
// no hold.
var ErrNoSuchImage = errors.New("no such managed image")

// Store keeps holds where a mode keeps them: the controller in each
// Application's Annotation, repo mode in the repository's Path.
type Store interface {
	// List returns every hold the store keeps; unreadable holds are errors.
	List(ctx context.Context) (Set, error)
	// Place stores h for every managed image it names and, when h.Version
	// is set, writes that version through the image's write-back. An error
	// wrapping ErrNoSuchImage says h names no managed image.
	Place(ctx context.Context, h Hold) error
	// Remove deletes the hold of image in application (as a Hold names
	// them). An error wrapping ErrNoSuchImage says there is none.
	Remove(ctx context.Context, application, image string) error
}

// Locker serialises hold changes with update passes; LockContext gives up
// when ctx ends.
type Locker interface {
	LockContext(ctx context.Context) error
	Unlock()
}

// Service is the one way holds are listed, placed and released, in both
// modes (the CLI, the trigger API): it validates requests, stamps them and
// takes its turn with update passes before the store acts.
type Service struct {
	// Store keeps the holds.
	Store Store
	// Lock, when set, is held while the store acts (repo mode's cycle
	// lock); nil when the store serialises itself.
	Lock Locker
	// Now is the clock stamping Hold.Since (time.Now when nil).
	Now func() time.Time
}

// List returns the holds.
func (s *Service) List(ctx context.Context) (Set, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return Set{}, err
	}
	defer unlock()
	return s.Store.List(ctx)
}

// Hold validates h, sets its Since when unset, and places it; it returns
// the hold as stored.
func (s *Service) Hold(ctx context.Context, h Hold) (Hold, error) {
	if err := h.Validate(); err != nil {
		return Hold{}, err
	}
	if h.Since.IsZero() {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		h.Since = now().UTC().Truncate(time.Second)
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return Hold{}, err
	}
	defer unlock()
	if err := s.Store.Place(ctx, h); err != nil {
		return Hold{}, err
	}
	return h, nil
}

// Release removes the hold of image in application; updates resume with
// the next pass.
func (s *Service) Release(ctx context.Context, application, image string) error {
	if strings.TrimSpace(application) == "" || strings.TrimSpace(image) == "" {
		return fmt.Errorf("%w: application and image are required", ErrInvalid)
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return s.Store.Remove(ctx, application, image)
}

func (s *Service) lock(ctx context.Context) (func(), error) {
	if s.Lock == nil {
		return func() {}, nil
	}
	if err := s.Lock.LockContext(ctx); err != nil {
		return nil, err
	}
	return s.Lock.Unlock, nil
}
