package holds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// memStore is a Store in memory that manages the images of managed.
type memStore struct {
	set     Set
	managed map[string]bool // "application image"
	listErr error
	calls   []string
	locked  *fakeLock
}

func (m *memStore) note(op string) {
	if m.locked != nil && !m.locked.held {
		op += " (unlocked)"
	}
	m.calls = append(m.calls, op)
}

func (m *memStore) List(context.Context) (Set, error) {
	m.note("list")
	return m.set, m.listErr
}

func (m *memStore) Place(_ context.Context, h Hold) error {
	m.note("place " + h.Application + " " + h.Image)
	if !m.managed[h.Application+" "+h.Image] {
		return fmt.Errorf("%w: %s %s", ErrNoSuchImage, h.Application, h.Image)
	}
	m.set.Put(h)
	return nil
}

func (m *memStore) Remove(_ context.Context, application, image string) error {
	m.note("remove " + application + " " + image)
	if !m.set.Remove(application, image) {
		return fmt.Errorf("%w: no hold", ErrNoSuchImage)
	}
	return nil
}

// fakeLock records whether it is held; fail makes LockContext fail.
type fakeLock struct {
	held bool
	fail error
}

func (l *fakeLock) LockContext(context.Context) error {
	if l.fail != nil {
		return l.fail
	}
	if l.held {
		return errors.New("locked twice")
	}
	l.held = true
	return nil
}

func (l *fakeLock) Unlock() { l.held = false }

func TestServiceHold(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 11, 12, 999, time.FixedZone("x", 3600))
	placed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		hold      Hold
		lockErr   error
		wantErr   error  // errors.Is
		wantText  string // in the error
		wantCalls string
		wantSince time.Time
	}{
		{name: "placed, stamped in UTC to the second", hold: Hold{Application: "ns/web", Image: "web"}, wantCalls: "place ns/web web", wantSince: time.Date(2026, 12, 2, 9, 11, 12, 0, time.UTC)},
		{name: "since kept", hold: Hold{Application: "ns/web", Image: "web", Since: placed}, wantCalls: "place ns/web web", wantSince: placed},
		{name: "no application", hold: Hold{Image: "web"}, wantErr: ErrInvalid, wantText: "application is required"},
		{name: "no image", hold: Hold{Application: "web"}, wantErr: ErrInvalid, wantText: "image is required"},
		{name: "control characters", hold: Hold{Application: "web", Image: "web", Version: "1\n2"}, wantErr: ErrInvalid, wantText: "control characters"},
		{name: "unmanaged image", hold: Hold{Application: "ns/web", Image: "db"}, wantErr: ErrNoSuchImage, wantCalls: "place ns/web db"},
		{name: "lock not taken", hold: Hold{Application: "ns/web", Image: "web"}, lockErr: context.DeadlineExceeded, wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock := &fakeLock{fail: tt.lockErr}
			store := &memStore{managed: map[string]bool{"ns/web web": true}, locked: lock}
			svc := &Service{Store: store, Lock: lock, Now: func() time.Time { return now }}
			got, err := svc.Hold(context.Background(), tt.hold)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("err %v, want %v containing %q", err, tt.wantErr, tt.wantText)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if c := strings.Join(store.calls, "; "); c != tt.wantCalls {
				t.Errorf("store calls %q, want %q", c, tt.wantCalls)
			}
			if lock.held {
				t.Error("lock left held")
			}
			if tt.wantErr == nil && (!got.Since.Equal(tt.wantSince) || got.Since.Location() != time.UTC) {
				t.Errorf("since %v, want %v (UTC)", got.Since, tt.wantSince)
			}
			if tt.wantErr == nil && store.set.Holds[0].Since != got.Since {
				t.Errorf("stored %v, returned %v", store.set.Holds[0].Since, got.Since)
			}
		})
	}
}

func TestServiceReleaseAndList(t *testing.T) {
	tests := []struct {
		name        string
		app, image  string
		wantErr     error
		wantCalls   string
		wantHoldsLe int
	}{
		{name: "released", app: "ns/web", image: "web", wantCalls: "remove ns/web web; list", wantHoldsLe: 0},
		{name: "no such hold", app: "ns/web", image: "db", wantErr: ErrNoSuchImage, wantCalls: "remove ns/web db; list", wantHoldsLe: 1},
		{name: "no application", app: " ", image: "web", wantErr: ErrInvalid, wantCalls: "list", wantHoldsLe: 1},
		{name: "no image", app: "ns/web", image: "", wantErr: ErrInvalid, wantCalls: "list", wantHoldsLe: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock := &fakeLock{}
			store := &memStore{set: Set{Holds: []Hold{{Application: "ns/web", Image: "web"}}}, locked: lock}
			svc := &Service{Store: store, Lock: lock}
			if err := svc.Release(context.Background(), tt.app, tt.image); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			set, err := svc.List(context.Background())
			if err != nil || len(set.Holds) != tt.wantHoldsLe {
				t.Fatalf("list %+v, %v; want %d holds", set, err, tt.wantHoldsLe)
			}
			if c := strings.Join(store.calls, "; "); c != tt.wantCalls {
				t.Errorf("store calls %q, want %q", c, tt.wantCalls)
			}
		})
	}
}

func TestServiceWithoutLock(t *testing.T) {
	store := &memStore{managed: map[string]bool{"web web": true}, listErr: errors.New("unreadable")}
	svc := &Service{Store: store}
	if _, err := svc.Hold(context.Background(), Hold{Application: "web", Image: "web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.List(context.Background()); err == nil || err.Error() != "unreadable" {
		t.Fatalf("list error %v, want the store's", err)
	}
}
