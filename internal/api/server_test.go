package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/holds"
)

type fakeBackend struct {
	checked []CheckRequest
	set     holds.Set
}

func (f *fakeBackend) Check(_ context.Context, req CheckRequest) (CheckResult, error) {
	f.checked = append(f.checked, req)
	if req.Application != "" && req.Application != "web" {
		return CheckResult{Decisions: []Decision{}, Problems: []string{"apps/x.yaml: bad annotation"}}, nil
	}
	return CheckResult{Decisions: []Decision{{Application: "argocd/web", Image: "web", Action: "update", From: "1", To: "2", Reason: "1 -> 2"}}}, nil
}
func (f *fakeBackend) Holds(context.Context) (holds.Set, error) { return f.set, nil }
func (f *fakeBackend) Hold(_ context.Context, h holds.Hold) error {
	f.set.Put(h)
	return nil
}
func (f *fakeBackend) Release(_ context.Context, app, image string) error {
	if !f.set.Remove(app, image) {
		return ErrNotFound
	}
	return nil
}

func TestServerAndClient(t *testing.T) {
	if _, err := NewServer(&fakeBackend{}, " ", nil); err == nil {
		t.Fatal("server without a token accepted")
	}
	be := &fakeBackend{}
	srv, err := NewServer(be, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx := context.Background()
	c := &Client{URL: ts.URL, Token: "tok"}

	res, err := c.Check(ctx, CheckRequest{Application: "web"})
	if err != nil || len(res.Decisions) != 1 || be.checked[0].Application != "web" {
		t.Fatalf("check: %+v %v", res, err)
	}
	if _, err := c.Check(ctx, CheckRequest{Application: "nope"}); err == nil || !strings.Contains(err.Error(), "404") ||
		!strings.Contains(err.Error(), `no managed image of application "nope"`) || !strings.Contains(err.Error(), "bad annotation") {
		t.Fatalf("check of an unknown application: %v", err)
	}
	if err := c.Hold(ctx, holds.Hold{Application: "web", Image: "web", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	if since := be.set.Holds[0].Since; since.IsZero() {
		t.Fatal("hold stored without since")
	}
	if set, err := c.Holds(ctx); err != nil || len(set.Holds) != 1 {
		t.Fatalf("holds: %+v %v", set, err)
	}
	if err := c.Release(ctx, "web", "web"); err != nil {
		t.Fatal(err)
	}
	if err := c.Release(ctx, "web", "web"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("second release: %v", err)
	}
	if err := c.Hold(ctx, holds.Hold{Application: "web"}); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("invalid hold: %v", err)
	}
	if _, err := (&Client{URL: ts.URL, Token: "wrong"}).Holds(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong token: %v", err)
	}
}

func TestServerRejectsBadRequests(t *testing.T) {
	srv, _ := NewServer(&fakeBackend{}, "tok", nil)
	tests := []struct {
		name, method, path, body, auth string
		want                           int
	}{
		{"no auth", "POST", "/api/v1/check", "{}", "", http.StatusUnauthorized},
		{"basic auth", "POST", "/api/v1/check", "{}", "Basic dG9rOg==", http.StatusUnauthorized},
		{"malformed", "POST", "/api/v1/check", "{", "Bearer tok", http.StatusBadRequest},
		{"unknown field", "POST", "/api/v1/check", `{"app":"x"}`, "Bearer tok", http.StatusBadRequest},
		{"too large", "POST", "/api/v1/check", `{"application":"` + strings.Repeat("a", 70<<10) + `"}`, "Bearer tok", http.StatusRequestEntityTooLarge},
		{"release without image", "DELETE", "/api/v1/holds?application=x", "", "Bearer tok", http.StatusBadRequest},
		{"wrong method", "PUT", "/api/v1/check", "{}", "Bearer tok", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "goroutine") {
				t.Fatal("stack trace in answer")
			}
		})
	}
}

func FuzzCheckRequest(f *testing.F) {
	f.Add(`{"application":"a","image":"b"}`)
	f.Fuzz(func(t *testing.T, body string) {
		srv, _ := NewServer(&fakeBackend{}, "tok", nil)
		req := httptest.NewRequest("POST", "/api/v1/check", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest && rec.Code != http.StatusNotFound && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", rec.Code)
		}
	})
}

func TestClientNeverShowsTheServerPassword(t *testing.T) {
	for _, u := range []string{"http://u:Pa55word@127.0.0.1:1/%zz", "http://u:Pa55word@127.0.0.1:1"} {
		_, err := (&Client{URL: u, Token: "t"}).Holds(context.Background())
		if err == nil || strings.Contains(err.Error(), "Pa55word") {
			t.Errorf("%s: %v", u, err)
		}
	}
}

type blockingBackend struct{ fakeBackend }

func (blockingBackend) Check(ctx context.Context, _ CheckRequest) (CheckResult, error) {
	<-ctx.Done()
	return CheckResult{}, ctx.Err()
}

func TestRequestWorkIsBounded(t *testing.T) {
	srv, _ := NewServer(&blockingBackend{}, "tok", nil)
	srv.requestTimeout = 50 * time.Millisecond
	req := httptest.NewRequest("POST", "/api/v1/check", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { srv.ServeHTTP(rec, req); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("request work not bounded")
	}
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "deadline") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
