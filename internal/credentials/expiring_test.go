package credentials

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/imagepilot/imagepilot/internal/cloudauth"
)

type expiringStub struct {
	calls    atomic.Int64
	lifetime time.Duration
	now      func() time.Time
}

func (s *expiringStub) Resolve(ctx context.Context) (authn.AuthConfig, error) {
	c, _, err := s.ResolveExpiring(ctx)
	return c, err
}

func (s *expiringStub) ResolveExpiring(context.Context) (authn.AuthConfig, time.Time, error) {
	n := s.calls.Add(1)
	return authn.AuthConfig{Username: "u", Password: string(rune('0' + n))}, s.now().Add(s.lifetime), nil
}

func TestCachedRefreshesExpiringBeforeExpiry(t *testing.T) {
	tests := []struct {
		lifetime, ttl time.Duration
		at            []time.Duration // offsets of Resolve calls
		wantCalls     int64
	}{
		{lifetime: 12 * time.Hour, at: []time.Duration{0, time.Hour, 11*time.Hour + 54*time.Minute}, wantCalls: 1},
		{lifetime: 12 * time.Hour, at: []time.Duration{0, 11*time.Hour + 55*time.Minute}, wantCalls: 2},
		{lifetime: 4 * time.Second, at: []time.Duration{0, 2900 * time.Millisecond}, wantCalls: 1},
		{lifetime: 4 * time.Second, at: []time.Duration{0, 3 * time.Second}, wantCalls: 2},
		{lifetime: 12 * time.Hour, ttl: time.Hour, at: []time.Duration{0, time.Hour}, wantCalls: 2},
		{lifetime: -time.Second, at: []time.Duration{0, 0}, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.lifetime.String()+"/"+tt.ttl.String(), func(t *testing.T) {
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var offset time.Duration
			now := func() time.Time { return base.Add(offset) }
			src := &expiringStub{lifetime: tt.lifetime, now: now}
			c := Cached(src, tt.ttl, now)
			for _, at := range tt.at {
				offset = at
				if _, err := c.Resolve(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if got := src.calls.Load(); got != tt.wantCalls {
				t.Fatalf("%d resolutions, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestProviderRefs(t *testing.T) {
	if err := CheckRef("provider:aws?region=eu-west-1"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"provider:", "provider:ibm", "provider:aws?zone=a"} {
		if err := CheckRef(bad); !errors.Is(err, ErrInvalidRef) || !errors.Is(err, cloudauth.ErrInvalidSpec) {
			t.Errorf("CheckRef(%q) = %v", bad, err)
		}
	}
	if _, err := ParseRef("provider:auto"); err == nil || !strings.Contains(err.Error(), "registry host is unknown") {
		t.Errorf("provider without host: %v", err)
	}
	if _, err := ParseRef("provider:auto", WithRegistryHost("ghcr.io")); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("auto on ghcr.io: %v", err)
	}
	src, err := ParseRef("provider:auto", WithRegistryHost("123456789012.dkr.ecr.eu-west-1.amazonaws.com"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(Expiring); !ok || !strings.Contains(src.(interface{ String() string }).String(), "provider:aws") {
		t.Fatalf("source %T is not an expiring aws source", src)
	}
	if spec, ok := ProviderSpec("provider:alibaba?instance=cri-a1&region=cn-hangzhou"); !ok || spec.Instance != "cri-a1" {
		t.Fatalf("ProviderSpec = %+v, %v", spec, ok)
	}
	if _, ok := ProviderSpec("env:X"); ok {
		t.Fatal("env: is no provider spec")
	}
}
