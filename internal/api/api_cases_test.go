package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// scriptedBackend answers with fixed results and errors, recording calls.
type scriptedBackend struct {
	res      CheckResult
	checkErr error
	set      holds.Set
	holdsErr error
	holdErr  error
	relErr   error
	calls    []string
}

func (b *scriptedBackend) Check(_ context.Context, req CheckRequest) (CheckResult, error) {
	b.calls = append(b.calls, "check "+req.Application+" "+req.Image)
	return b.res, b.checkErr
}

func (b *scriptedBackend) Holds(context.Context) (holds.Set, error) {
	b.calls = append(b.calls, "holds")
	return b.set, b.holdsErr
}

func (b *scriptedBackend) Hold(_ context.Context, h holds.Hold) error {
	b.calls = append(b.calls, "hold "+h.Application+" "+h.Image+" "+h.Since.Format(time.RFC3339))
	return b.holdErr
}

func (b *scriptedBackend) Release(_ context.Context, app, image string) error {
	b.calls = append(b.calls, "release "+app+" "+image)
	return b.relErr
}

// TestServerAnswers pins the JSON shapes and statuses of every endpoint,
// success and failure, and which backend call each makes.
func TestServerAnswers(t *testing.T) {
	since := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	now := time.Date(2026, 5, 1, 12, 0, 0, 900_000_000, time.UTC)
	tests := []struct {
		name             string
		be               scriptedBackend
		method, path     string
		body             string
		wantStatus       int
		wantBody         string
		wantCalls        []string
		wantContentClose bool
	}{
		{
			name: "check of everything answers decisions, even none", be: scriptedBackend{res: CheckResult{Decisions: []Decision{}}},
			method: "POST", path: "/api/v1/check", body: `{}`,
			wantStatus: 200, wantBody: `{"decisions":[]}`, wantCalls: []string{"check  "},
		},
		{
			name: "check answer carries commits and problems, empty fields omitted",
			be: scriptedBackend{res: CheckResult{
				Decisions: []Decision{{Application: "argocd/web", Image: "web", Action: "skip", Reason: "held"}},
				Commits:   []Commit{{Repository: "https://git.example/x", Branch: "main", Commit: "abc"}},
				Problems:  []string{"apps/y.yaml: bad"},
			}},
			method: "POST", path: "/api/v1/check", body: `{"image":"web"}`,
			wantStatus: 200,
			wantBody:   `{"decisions":[{"application":"argocd/web","image":"web","action":"skip","reason":"held"}],"commits":[{"repository":"https://git.example/x","branch":"main","commit":"abc"}],"problems":["apps/y.yaml: bad"]}`,
			wantCalls:  []string{"check  web"},
		},
		{
			name: "check naming an image nothing manages is 404", be: scriptedBackend{res: CheckResult{}},
			method: "POST", path: "/api/v1/check", body: `{"image":"api"}`,
			wantStatus: 404, wantBody: `{"error":"not found: no managed image \"api\""}`, wantCalls: []string{"check  api"},
		},
		{
			name: "check failing in the backend is 502 with the message", be: scriptedBackend{checkErr: errors.New("registry down")},
			method: "POST", path: "/api/v1/check", body: `{}`,
			wantStatus: 502, wantBody: `{"error":"registry down"}`, wantCalls: []string{"check  "},
		},
		{
			name: "check the backend calls invalid is 400", be: scriptedBackend{checkErr: fmt.Errorf("%w: image x", holds.ErrInvalid)},
			method: "POST", path: "/api/v1/check", body: `{}`,
			wantStatus: 400, wantBody: `{"error":"invalid hold: image x"}`, wantCalls: []string{"check  "},
		},
		{
			name: "check with two JSON values is refused, not half read", method: "POST", path: "/api/v1/check", body: `{"image":"a"} {"image":"b"}`,
			wantStatus: 400, wantBody: `{"error":"malformed JSON: more than one JSON value"}`,
		},
		{
			name: "check with a stray brace after the value is refused", method: "POST", path: "/api/v1/check", body: `{"image":"a"}}`,
			wantStatus: 400,
		},
		{
			name: "trailing whitespace is fine", be: scriptedBackend{res: CheckResult{Decisions: []Decision{{Image: "a"}}}},
			method: "POST", path: "/api/v1/check", body: "{\"image\":\"a\"}\n\t ",
			wantStatus: 200, wantCalls: []string{"check  a"},
		},
		{
			name: "a body over the cap after the value is 413", method: "POST", path: "/api/v1/check", body: `{}` + strings.Repeat(" ", 70<<10) + `{}`,
			wantStatus: 413, wantBody: `{"error":"request body too large"}`,
		},
		{
			name: "check with an empty body is malformed", method: "POST", path: "/api/v1/check", body: ``,
			wantStatus: 400, wantBody: `{"error":"malformed JSON: EOF"}`,
		},
		{
			name: "no holds is an empty list, not null", be: scriptedBackend{},
			method: "GET", path: "/api/v1/holds",
			wantStatus: 200, wantBody: `{"holds":[]}`, wantCalls: []string{"holds"},
		},
		{
			name: "holds are listed with their fields", be: scriptedBackend{set: holds.Set{Holds: []holds.Hold{{Application: "argocd/web", Image: "web", Version: "1.2", By: "ana", Since: since}}}},
			method: "GET", path: "/api/v1/holds",
			wantStatus: 200, wantBody: `{"holds":[{"application":"argocd/web","image":"web","version":"1.2","by":"ana","since":"2026-03-04T05:06:07Z"}]}`, wantCalls: []string{"holds"},
		},
		{
			name: "listing holds failing is 502", be: scriptedBackend{holdsErr: errors.New("clone failed")},
			method: "GET", path: "/api/v1/holds",
			wantStatus: 502, wantBody: `{"error":"clone failed"}`, wantCalls: []string{"holds"},
		},
		{
			name: "a hold without since gets now, in UTC seconds", be: scriptedBackend{},
			method: "POST", path: "/api/v1/holds", body: `{"application":"web","image":"web","reason":"incident 7"}`,
			wantStatus: 201, wantBody: `{"application":"web","image":"web","reason":"incident 7","since":"2026-05-01T12:00:00Z"}`,
			wantCalls: []string{"hold web web 2026-05-01T12:00:00Z"},
		},
		{
			name: "a hold's given since is kept", be: scriptedBackend{},
			method: "POST", path: "/api/v1/holds", body: `{"application":"web","image":"web","since":"2026-03-04T05:06:07Z"}`,
			wantStatus: 201, wantBody: `{"application":"web","image":"web","since":"2026-03-04T05:06:07Z"}`,
			wantCalls: []string{"hold web web 2026-03-04T05:06:07Z"},
		},
		{
			name: "an invalid hold never reaches the backend", be: scriptedBackend{},
			method: "POST", path: "/api/v1/holds", body: `{"application":"a/b/c","image":"web"}`,
			wantStatus: 400, wantBody: `{"error":"invalid hold: application \"a/b/c\": want name or namespace/name"}`,
		},
		{
			name: "a hold on an unknown image is 404", be: scriptedBackend{holdErr: fmt.Errorf("%w: web", ErrNotFound)},
			method: "POST", path: "/api/v1/holds", body: `{"application":"web","image":"web"}`,
			wantStatus: 404, wantBody: `{"error":"not found: web"}`, wantCalls: []string{"hold web web 2026-05-01T12:00:00Z"},
		},
		{
			name: "a hold whose store fails is 502", be: scriptedBackend{holdErr: errors.New("push rejected")},
			method: "POST", path: "/api/v1/holds", body: `{"application":"web","image":"web"}`,
			wantStatus: 502, wantBody: `{"error":"push rejected"}`, wantCalls: []string{"hold web web 2026-05-01T12:00:00Z"},
		},
		{
			name: "release answers what it released", be: scriptedBackend{},
			method: "DELETE", path: "/api/v1/holds?application=argocd%2Fweb&image=web", wantStatus: 200,
			wantBody: `{"released":"argocd/web web"}`, wantCalls: []string{"release argocd/web web"},
		},
		{
			name: "release without application is 400", method: "DELETE", path: "/api/v1/holds?image=web",
			wantStatus: 400, wantBody: `{"error":"application and image are required"}`,
		},
		{
			name: "release of nothing held is 404", be: scriptedBackend{relErr: fmt.Errorf("%w: no hold", ErrNotFound)},
			method: "DELETE", path: "/api/v1/holds?application=web&image=web",
			wantStatus: 404, wantBody: `{"error":"not found: no hold"}`, wantCalls: []string{"release web web"},
		},
		{name: "GET on check is 405", method: "GET", path: "/api/v1/check", wantStatus: 405},
		{name: "PUT on holds is 405", method: "PUT", path: "/api/v1/holds", body: `{}`, wantStatus: 405},
		{name: "an unknown path is 404", method: "GET", path: "/api/v2/holds", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := tt.be
			srv, err := NewServer(&be, "s3cret-token", nil)
			if err != nil {
				t.Fatal(err)
			}
			srv.now = func() time.Time { return now.In(time.FixedZone("CEST", 2*3600)) }
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer s3cret-token")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantBody != "" {
				if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
					t.Fatalf("body\n%s\nwant\n%s", got, tt.wantBody)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q", ct)
				}
			}
			if !reflect.DeepEqual(be.calls, tt.wantCalls) {
				t.Fatalf("backend calls %q, want %q", be.calls, tt.wantCalls)
			}
		})
	}
}

// TestServerAuthorization shows only the exact bearer token passes, that a
// refusal never reaches the backend, and that it closes the connection.
func TestServerAuthorization(t *testing.T) {
	tests := []struct {
		name string
		auth []string
		ok   bool
	}{
		{name: "the token", auth: []string{"Bearer s3cret"}, ok: true},
		{name: "no header"},
		{name: "lower-case scheme", auth: []string{"bearer s3cret"}},
		{name: "a trailing space", auth: []string{"Bearer s3cret "}},
		{name: "a prefix of the token", auth: []string{"Bearer s3cre"}},
		{name: "the token extended", auth: []string{"Bearer s3cret2"}},
		{name: "an empty bearer", auth: []string{"Bearer "}},
		{name: "the token without the scheme", auth: []string{"s3cret"}},
		{name: "a second header is not read", auth: []string{"Bearer wrong", "Bearer s3cret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &scriptedBackend{}
			srv, err := NewServer(be, "s3cret", nil)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/api/v1/holds", nil)
			for _, a := range tt.auth {
				req.Header.Add("Authorization", a)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if tt.ok {
				if rec.Code != 200 || len(be.calls) != 1 {
					t.Fatalf("status %d calls %q", rec.Code, be.calls)
				}
				return
			}
			if rec.Code != 401 || len(be.calls) != 0 {
				t.Fatalf("status %d calls %q, want 401 and no call", rec.Code, be.calls)
			}
			if body := strings.TrimSpace(rec.Body.String()); body != `{"error":"unauthorized"}` || rec.Header().Get("Connection") != "close" {
				t.Fatalf("body %s, Connection %q", body, rec.Header().Get("Connection"))
			}
		})
	}
}

// TestClientRequests shows what the client sends: method, path, query,
// token and JSON body, whatever the base URL's trailing slash.
func TestClientRequests(t *testing.T) {
	type seen struct{ method, uri, auth, ctype, body string }
	var got seen
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = seen{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(b)}
		switch r.URL.Path {
		case "/api/v1/check":
			io.WriteString(w, `{"decisions":[{"application":"a/web","image":"web","action":"update","from":"1","to":"2","reason":"r"}]}`)
		case "/api/v1/holds":
			io.WriteString(w, `{"holds":[{"application":"web","image":"web","since":"2026-01-02T03:04:05Z"}]}`)
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	c := &Client{URL: ts.URL + "/", Token: "tok"}
	tests := []struct {
		name string
		call func() (any, error)
		want seen
		out  any
	}{
		{
			name: "check", call: func() (any, error) { return c.Check(ctx, CheckRequest{Application: "a/web"}) },
			want: seen{"POST", "/api/v1/check", "Bearer tok", "application/json", `{"application":"a/web"}`},
			out:  CheckResult{Decisions: []Decision{{Application: "a/web", Image: "web", Action: "update", From: "1", To: "2", Reason: "r"}}},
		},
		{
			name: "holds", call: func() (any, error) { return c.Holds(ctx) },
			want: seen{"GET", "/api/v1/holds", "Bearer tok", "application/json", ""},
			out:  holds.Set{Holds: []holds.Hold{{Application: "web", Image: "web", Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}},
		},
		{
			name: "hold", call: func() (any, error) {
				return nil, c.Hold(ctx, holds.Hold{Application: "web", Image: "web", Version: "1"})
			},
			want: seen{"POST", "/api/v1/holds", "Bearer tok", "application/json", `{"application":"web","image":"web","version":"1","since":"0001-01-01T00:00:00Z"}`},
		},
		{
			name: "release escapes its query", call: func() (any, error) { return nil, c.Release(ctx, "argocd/web app", "a&b=c") },
			want: seen{"DELETE", "/api/v1/holds?application=argocd%2Fweb+app&image=a%26b%3Dc", "Bearer tok", "application/json", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.call()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("request %+v\nwant %+v", got, tt.want)
			}
			if tt.out != nil && !reflect.DeepEqual(out, tt.out) {
				t.Fatalf("answer %+v\nwant %+v", out, tt.out)
			}
		})
	}
	q, _ := url.ParseQuery(strings.TrimPrefix(tests[3].want.uri, "/api/v1/holds?"))
	if q.Get("application") != "argocd/web app" || q.Get("image") != "a&b=c" {
		t.Fatalf("release query decodes to %v", q)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{name: "an error body is shown with the status", status: 409, body: `{"error":"busy"}`, wantErr: "trigger API: 409 Conflict: busy"},
		{name: "a non-JSON error body shows the status only", status: 500, body: `<html>oops</html>`, wantErr: "trigger API: 500 Internal Server Error"},
		{name: "a JSON error body without error shows the status only", status: 503, body: `{"message":"x"}`, wantErr: "trigger API: 503 Service Unavailable"},
		{name: "a 3xx answer is an error, not a success", status: 304, wantErr: "trigger API: 304 Not Modified"},
		{name: "a success that is not JSON", status: 200, body: `not json`, wantErr: "trigger API: malformed answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer ts.Close()
			_, err := (&Client{URL: ts.URL, Token: "t"}).Holds(context.Background())
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&Client{URL: "http://127.0.0.1:1", Token: "t"}).Hold(ctx, holds.Hold{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v, want context.Canceled wrapped", err)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "http://u:pw@host:8083/base", want: "http://u:xxxxx@host:8083/base"},
		{in: "http://host:8083", want: "http://host:8083"},
		{in: "http://u:pw@host/%zz", want: "http://xxxxx@host/%zz"},
		{in: "http://u:p@w@host/%zz", want: "http://xxxxx@host/%zz"},
		{in: "no scheme %zz", want: "no scheme %zz"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNotFoundErr(t *testing.T) {
	tests := []struct {
		name    string
		req     CheckRequest
		res     CheckResult
		wantErr string
	}{
		{name: "a check of everything is never not-found", res: CheckResult{}},
		{name: "a decision means found", req: CheckRequest{Image: "web"}, res: CheckResult{Decisions: []Decision{{}}}},
		{name: "application only", req: CheckRequest{Application: "argocd/web"}, wantErr: `not found: no managed image of application "argocd/web"`},
		{name: "both, with problems", req: CheckRequest{Application: "web", Image: "api"}, res: CheckResult{Problems: []string{"p1", "p2"}},
			wantErr: `not found: no managed image "api" of application "web" (configuration problems: p1; p2)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NotFoundErr(tt.req, tt.res)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrNotFound) {
				t.Fatalf("error %v, want %q wrapping ErrNotFound", err, tt.wantErr)
			}
		})
	}
}

// TestResultOf shows a cycle result becomes the API answer: decisions with
// digest-following values, commits without passwords, problems from
// configuration and failed Application patches.
func TestResultOf(t *testing.T) {
	web := target.AppRef{Namespace: "argocd", Name: "web"}
	digestTarget := target.Target{App: web, Image: imagespec.Spec{Alias: "api"}, Policy: policy.Settings{Strategy: policy.StrategyDigest}}
	r := cycle.Result{
		Decisions: []updater.Decision{
			{Item: updater.Item{Target: target.Target{App: web, Image: imagespec.Spec{Name: "ghcr.io/x/web", Registry: "ghcr.io", Repository: "x/web"}}, Current: updater.Current{Tag: "1.0"}},
				Action: updater.ActionUpdate, NewTag: "1.1", NewDigest: "sha256:aa", Reason: "1.0 -> 1.1"},
			{Item: updater.Item{Target: digestTarget, Current: updater.Current{Tag: "latest"}}, Action: updater.ActionUpdate, NewTag: "latest", NewDigest: "sha256:bb", Reason: "digest changed"},
		},
		Git: []writeback.GroupResult{
			{RepoURL: "https://bot:hunter2@git.example/team/app.git", Branch: "main", Commit: "c0ffee"},
			{RepoURL: "https://git.example/team/other.git", Branch: "imagepilot", Err: errors.New("push rejected")},
		},
		Problems: []error{errors.New("apps/x.yaml: bad annotation")},
		ArgoCD:   []writeback.AppResult{{App: web}, {App: target.AppRef{Name: "db"}, Err: errors.New("patch db: conflict")}},
	}
	got := ResultOf(r)
	want := CheckResult{
		Decisions: []Decision{
			{Application: "argocd/web", Image: "ghcr.io/x/web", Action: "update", From: "1.0", To: "1.1", Reason: "1.0 -> 1.1"},
			{Application: "argocd/web", Image: "api", Action: "update", From: "latest", To: "latest@sha256:bb", Reason: "digest changed"},
		},
		Commits: []Commit{
			{Repository: "https://bot:***@git.example/team/app.git", Branch: "main", Commit: "c0ffee"},
			{Repository: "https://git.example/team/other.git", Branch: "imagepilot", Error: "push rejected"},
		},
		Problems: []string{"apps/x.yaml: bad annotation", "patch db: conflict"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ResultOf\n%+v\nwant\n%+v", got, want)
	}
	empty, _ := json.Marshal(ResultOf(cycle.Result{}))
	if string(empty) != `{"decisions":[]}` {
		t.Fatalf("empty result %s, want decisions as an empty list", empty)
	}
}
