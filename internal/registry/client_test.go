package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/policy"
)

// fakeClock is a settable clock.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.now.Add(int64(d)) }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

var fastRetry = RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: 2 * time.Second, MaxTotal: 10 * time.Second}

func newTestClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithRetryPolicy(fastRetry)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTagsOneListingPerCycleForConcurrentAskers(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "team/app", testImage(t, time.Now(), v1.Platform{OS: "linux", Architecture: "amd64"}), "1.0.0", "1.1.0")
	c := newTestClient(t)
	repo := reg.repo("team/app")
	for cycle := range 2 {
		cy := c.NewCycle()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				tags, err := cy.Tags(context.Background(), repo, authn.Anonymous)
				if err == nil && len(tags) != 2 {
					err = fmt.Errorf("got %v", tags)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]int{"GET tags": 1}
		if cycle == 0 {
			want["GET ping"] = 1
		}
		assertCounts(t, reg.take(), want)
	}
}

func TestTagsPagingWithoutLinkUsesLast(t *testing.T) {
	reg := newTestRegistry(t)
	img := testImage(t, time.Now(), v1.Platform{OS: "linux", Architecture: "amd64"})
	var tags []string
	for i := range 250 {
		tags = append(tags, fmt.Sprintf("v%03d", i))
	}
	reg.push(t, "paged", img, tags...)
	c := newTestClient(t, WithPageSize(100))
	got, err := c.NewCycle().Tags(context.Background(), reg.repo("paged"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 || got[0] != "v000" || got[249] != "v249" {
		t.Fatalf("got %d tags: %v...", len(got), got[:3])
	}
	assertCounts(t, reg.take(), map[string]int{"GET ping": 1, "GET tags": 3})
}

func TestTagsExactMultipleOfPageSize(t *testing.T) {
	reg := newTestRegistry(t)
	img := testImage(t, time.Now(), v1.Platform{OS: "linux", Architecture: "amd64"})
	reg.push(t, "exact", img, "a", "b", "c", "d")
	c := newTestClient(t, WithPageSize(2))
	got, err := c.NewCycle().Tags(context.Background(), reg.repo("exact"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,b,c,d" {
		t.Fatalf("got %v", got)
	}
}

func TestTagsFollowLinkHeader(t *testing.T) {
	reg := newTestRegistry(t)
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/tags/list") {
			return false
		}
		if r.URL.Query().Get("last") == "" {
			w.Header().Set("Link", `</v2/linked/tags/list?n=2&last=b>; rel="next"`)
			fmt.Fprint(w, `{"name":"linked","tags":["a","b"]}`)
			return true
		}
		fmt.Fprint(w, `{"name":"linked","tags":["c"]}`)
		return true
	})
	got, err := newTestClient(t, WithPageSize(2)).NewCycle().Tags(context.Background(), reg.repo("linked"), nil)
	if err != nil || strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestTagsErrorsAreTypedAndNeverPartial(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		header map[string]string
		want   error
	}{
		{"truncated json", 200, `{"name":"x","tags":["a","b"`, nil, ErrTransport},
		{"not found", 404, `{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}`, nil, ErrNotFound},
		{"forbidden", 403, `{"errors":[{"code":"DENIED","message":"no"}]}`, nil, ErrUnauthorized},
		{"rate limited", 429, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`, map[string]string{"Retry-After": "0"}, ErrRateLimited},
		{"server error", 500, `oops`, nil, ErrTransport},
		{"link to another host", 200, `{"name":"x","tags":["a"]}`, map[string]string{"Link": `<http://evil.example/v2/x/tags/list>; rel="next"`}, ErrTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newTestRegistry(t)
			reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, "/tags/list") {
					return false
				}
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
				return true
			})
			got, err := newTestClient(t).NewCycle().Tags(context.Background(), reg.repo("x"), nil)
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("got %v, %v; want error %v", got, err, tt.want)
			}
		})
	}
}

func TestRetryHonoursRetryAfterThenSucceeds(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "busy", testImage(t, time.Now(), v1.Platform{}), "1")
	var calls atomic.Int32
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tags/list") && calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	start := time.Now()
	got, err := newTestClient(t).NewCycle().Tags(context.Background(), reg.repo("busy"), nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %s, want Retry-After 1s honoured", waited)
	}
	assertCounts(t, reg.take(), map[string]int{"GET ping": 1, "GET tags": 2})
}

func TestRetryAfterBeyondCapIsNotWaited(t *testing.T) {
	reg := newTestRegistry(t)
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tags/list") {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	_, err := newTestClient(t).NewCycle().Tags(context.Background(), reg.repo("x"), nil)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	assertCounts(t, reg.take(), map[string]int{"GET ping": 1, "GET tags": 1})
}

func TestBearerTokenFetchedOnceAcrossCyclesAndImages(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "secure/app", testImage(t, time.Now(), v1.Platform{}), "1", "2")
	reg.mu.Lock()
	reg.bearer = true
	reg.mu.Unlock()
	c := newTestClient(t)
	repo := reg.repo("secure/app")
	for range 3 {
		cy := c.NewCycle()
		for range 5 { // five images of the same repository
			if _, err := cy.Tags(context.Background(), repo, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := cy.Metadata(repo, nil).Digest(context.Background(), "1"); err != nil {
				t.Fatal(err)
			}
		}
	}
	assertCounts(t, reg.take(), map[string]int{"GET ping": 1, "GET token": 1, "GET tags": 3, "HEAD manifest": 3})
}

func TestDigestHeadOncePerCycle(t *testing.T) {
	reg := newTestRegistry(t)
	img := testImage(t, time.Now(), v1.Platform{})
	reg.push(t, "d", img, "stable")
	want, _ := img.Digest()
	c := newTestClient(t)
	md := c.NewCycle().Metadata(reg.repo("d"), authn.Anonymous)
	for range 3 {
		got, err := md.Digest(context.Background(), "stable")
		if err != nil || got != want.String() {
			t.Fatalf("got %q, %v; want %s", got, err, want)
		}
	}
	assertCounts(t, reg.take(), map[string]int{"GET ping": 1, "HEAD manifest": 1})
	if _, err := md.Digest(context.Background(), "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing tag: %v", err)
	}
}

func TestCreatedFetchedOnceAndCachedAcrossCycles(t *testing.T) {
	reg := newTestRegistry(t)
	created := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	reg.push(t, "nb", testImage(t, created, v1.Platform{OS: "linux", Architecture: "amd64"}), "a", "b")
	clock := newClock()
	c := newTestClient(t, WithClock(clock), WithDigestTTL(time.Hour))
	repo := reg.repo("nb")
	amd64 := []policy.Platform{{OS: "linux", Architecture: "amd64"}}

	info := mustCreated(t, c.NewCycle().Metadata(repo, nil), "a", amd64)
	if !info.Created.Equal(created) {
		t.Fatalf("created %s, want %s", info.Created, created)
	}
	assertCounts(t, reg.take(), map[string]int{"GET ping": 1, "HEAD manifest": 1, "GET manifest": 1, "GET blob": 1})

	// Same digest under another tag: a HEAD, no metadata fetch.
	mustCreated(t, c.NewCycle().Metadata(repo, nil), "b", amd64)
	assertCounts(t, reg.take(), map[string]int{"HEAD manifest": 1})

	// Steady state: nothing at all.
	mustCreated(t, c.NewCycle().Metadata(repo, nil), "a", amd64)
	assertCounts(t, reg.take(), map[string]int{})

	// After the TTL: one HEAD, metadata still cached by digest.
	clock.advance(2 * time.Hour)
	mustCreated(t, c.NewCycle().Metadata(repo, nil), "a", amd64)
	assertCounts(t, reg.take(), map[string]int{"HEAD manifest": 1})
}

func TestCreatedIndexFiltersPlatforms(t *testing.T) {
	reg := newTestRegistry(t)
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	armv7 := v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	reg.pushIndex(t, "multi", "1",
		platformImage{amd, testImage(t, day(1), amd)},
		platformImage{arm64, testImage(t, day(3), arm64)},
		platformImage{armv7, testImage(t, day(2), armv7)})
	tests := []struct {
		name      string
		platforms []policy.Platform
		want      time.Time
		wantErr   error
	}{
		{"amd64 only", []policy.Platform{{OS: "linux", Architecture: "amd64"}}, day(1), nil},
		{"arm64 without variant matches v8", []policy.Platform{{OS: "linux", Architecture: "arm64"}}, day(3), nil},
		{"arm v7 exact", []policy.Platform{{OS: "linux", Architecture: "arm", Variant: "v7"}}, day(2), nil},
		{"arm v6 absent", []policy.Platform{{OS: "linux", Architecture: "arm", Variant: "v6"}}, time.Time{}, ErrNoMatchingPlatform},
		{"newest of two", []policy.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}, day(2), nil},
		{"all", nil, day(3), nil},
	}
	c := newTestClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := c.NewCycle().Metadata(reg.repo("multi"), nil).Created(context.Background(), "1", tt.platforms)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !info.Created.Equal(tt.want) {
				t.Fatalf("created %s, want %s", info.Created, tt.want)
			}
		})
	}
	// Each child's config was fetched once over all cases.
	counts := reg.take()
	if counts["GET blob"] != 3 {
		t.Errorf("config blob fetches = %d, want 3 (one per child): %v", counts["GET blob"], counts)
	}
}

func TestDockerSchema2AndOCIManifests(t *testing.T) {
	reg := newTestRegistry(t)
	created := time.Date(2024, 2, 2, 0, 0, 0, 0, time.UTC)
	img := testImage(t, created, v1.Platform{OS: "linux", Architecture: "amd64"})
	reg.push(t, "docker", img, "1") // random.Image is Docker schema 2
	oci := ociImage(t, img)
	reg.push(t, "oci", oci, "1")
	c := newTestClient(t)
	for _, r := range []string{"docker", "oci"} {
		info := mustCreated(t, c.NewCycle().Metadata(reg.repo(r), nil), "1", nil)
		if !info.Created.Equal(created) {
			t.Errorf("%s: created %s", r, info.Created)
		}
	}
}

func TestMetricsCountRequestsByKind(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "m", testImage(t, time.Now(), v1.Platform{}), "1")
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, WithMetrics(m))
	cy := c.NewCycle()
	if _, err := cy.Tags(context.Background(), reg.repo("m"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cy.Metadata(reg.repo("m"), nil).Digest(context.Background(), "nope"); err == nil {
		t.Fatal("want not found")
	}
	if got := testutil.ToFloat64(m.RegistryRequestsByKind.WithLabelValues(reg.host, "tags", "200")); got != 1 {
		t.Errorf("tags requests = %v", got)
	}
	if got := testutil.ToFloat64(m.RegistryRequestsByKind.WithLabelValues(reg.host, "manifest", "404")); got != 1 {
		t.Errorf("manifest 404 = %v, want 1", got)
	}
	// On a loopback host go-containerregistry pings https and http at once;
	// the https attempt at this plain-http server fails without a response.
	if got := testutil.ToFloat64(m.RegistryRequestsFailed.WithLabelValues(reg.host)); got != 2 {
		t.Errorf("failed = %v, want 2 (https ping attempt, the 404)", got)
	}
	if got := testutil.ToFloat64(m.RegistryRequests.WithLabelValues(reg.host)); got != 4 {
		t.Errorf("requests = %v, want 4 (two pings, tags, head)", got)
	}
}

func TestCancelledAskerDoesNotPoisonCycle(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "c", testImage(t, time.Now(), v1.Platform{}), "1")
	cy := newTestClient(t).NewCycle()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cy.Tags(ctx, reg.repo("c"), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, err := cy.Tags(context.Background(), reg.repo("c"), nil); err != nil {
		t.Fatal(err)
	}
}

func mustCreated(t *testing.T, md policy.Metadata, tag string, platforms []policy.Platform) policy.ImageInfo {
	t.Helper()
	info, err := md.Created(context.Background(), tag, platforms)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func assertCounts(t *testing.T, got, want map[string]int) {
	t.Helper()
	for k, v := range got {
		if want[k] != v {
			t.Errorf("requests %q = %d, want %d (all: %v)", k, v, want[k], got)
		}
	}
	for k, v := range want {
		if _, ok := got[k]; !ok && v != 0 {
			t.Errorf("requests %q = 0, want %d (all: %v)", k, v, got)
		}
	}
}
