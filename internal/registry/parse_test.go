package registry

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 7 ", 7 * time.Second, true},
		{"-1", 0, false},
		{"abc", 0, false},
		{"Thu, 01 Jan 2026 00:00:30 GMT", 30 * time.Second, true},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0, true},
		{"99999999999", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "1", "Thu, 01 Jan 2026 00:00:30 GMT", "-5", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, time.Unix(0, 0))
		if d < 0 || (!ok && d != 0) || d > 24*time.Hour {
			t.Fatalf("ParseRetryAfter(%q) = %s, %v", s, d, ok)
		}
	})
}

func TestParseTagPage(t *testing.T) {
	tests := []struct {
		body    string
		want    string
		wantErr bool
	}{
		{`{"name":"a","tags":["1","2"]}`, "1,2", false},
		{`{"name":"a","tags":null}`, "", false},
		{`{"name":"a","tags":["1",`, "", true},
		{`{"tags":["1"]}`, "", true},
		{`{"name":"a","tags":[]}{"x":1}`, "", true},
		{``, "", true},
	}
	for _, tt := range tests {
		got, err := ParseTagPage([]byte(tt.body))
		if (err != nil) != tt.wantErr || strings.Join(got, ",") != tt.want {
			t.Errorf("ParseTagPage(%q) = %v, %v", tt.body, got, err)
		}
		if err != nil && !errors.Is(err, errIncompleteListing) {
			t.Errorf("error %v does not wrap errIncompleteListing", err)
		}
	}
}

func FuzzParseTagPage(f *testing.F) {
	f.Add([]byte(`{"name":"a","tags":["1","2"]}`))
	f.Add([]byte(`{"name":"a","tags":["1"`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tags, err := ParseTagPage(body)
		if err != nil && tags != nil {
			t.Fatalf("error with tags: %v %v", tags, err)
		}
	})
}

func TestRequestKind(t *testing.T) {
	tests := []struct{ method, url, want string }{
		{"GET", "https://r/v2/", "ping"},
		{"GET", "https://r/v2/a/b/tags/list?n=10", "tags"},
		{"HEAD", "https://r/v2/a/manifests/1.0", "manifest"},
		{"GET", "https://r/v2/a/blobs/sha256:abc", "blob"},
		{"GET", "https://r/v2/_catalog", "other"},
		{"GET", "https://auth/token?service=r&scope=repository:a:pull", "token"},
		{"GET", "https://auth/oauth2/token", "token"},
		{"GET", "https://auth/elsewhere", "other"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.url, nil)
		if got := RequestKind(req); got != tt.want {
			t.Errorf("RequestKind(%s %s) = %s, want %s", tt.method, tt.url, got, tt.want)
		}
	}
	post := httptest.NewRequest("POST", "https://auth/x", strings.NewReader("grant_type=password"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if got := RequestKind(post); got != "token" {
		t.Errorf("OAuth2 POST = %s", got)
	}
}

func TestLRUEvictsOldest(t *testing.T) {
	c := newLRU[int](2)
	c.put("a", 1)
	c.put("b", 2)
	c.get("a")
	c.put("c", 3)
	if _, ok := c.get("b"); ok {
		t.Error("b should be evicted")
	}
	if v, ok := c.get("a"); !ok || v != 1 {
		t.Error("a should stay")
	}
	if c.len() != 2 {
		t.Errorf("len = %d", c.len())
	}
}

func TestRetryTransportBoundedOnPersistent500(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	rt := &retryTransport{policy: fastRetry, now: time.Now, inner: http.DefaultTransport}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 || calls != fastRetry.MaxAttempts {
		t.Fatalf("status %d after %d calls", resp.StatusCode, calls)
	}
	post, err := (&http.Client{Transport: rt}).Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if calls != fastRetry.MaxAttempts+1 {
		t.Fatalf("POST was retried: %d calls", calls)
	}
}

func TestCredentialIdentityHidesSecrets(t *testing.T) {
	a, err := credentialIdentity(&authn.Basic{Username: "user", Password: "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := credentialIdentity(&authn.Basic{Username: "user", Password: "other"})
	anon, _ := credentialIdentity(authn.Anonymous)
	if a == b || strings.Contains(a, "hunter2") || strings.Contains(a, "user") || anon != "anonymous" {
		t.Fatalf("identities %q %q %q", a, b, anon)
	}
}

func TestOptionsRejectNonsense(t *testing.T) {
	for _, opt := range []Option{WithPageSize(0), WithMetadataCacheSize(0), WithDigestTTL(-1), WithRetryPolicy(RetryPolicy{}), WithResolver(nil), WithLogger(nil), WithClock(nil)} {
		if _, err := New(opt); err == nil {
			t.Error("want error")
		}
	}
}
