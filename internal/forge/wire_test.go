package forge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// wireFake records every request (method, escaped path and query, body
// as sorted JSON without the null, empty and zero fields an SDK sends for
// options it leaves unset) and answers from canned responses keyed by
// "METHOD escaped-path"; anything else is a 404 in the forge's style. It
// checks each provider's documented authentication header.
type wireFake struct {
	t       *testing.T
	kind    string
	token   string
	answers map[string]wireAnswer

	mu   sync.Mutex
	reqs []string
}

type wireAnswer struct {
	status int
	body   string
	header map[string]string
}

func (f *wireFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	line := r.Method + " " + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		line += "?" + r.URL.RawQuery
	}
	if len(raw) > 0 {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			f.t.Errorf("%s: body is not JSON: %q", line, raw)
		}
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				if x == nil || x == "" || x == float64(0) || x == false {
					delete(m, k)
				}
			}
		}
		norm, _ := json.Marshal(v)
		line += " " + string(norm)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, line)
	f.mu.Unlock()
	var authOK bool
	switch f.kind {
	case GitHub:
		authOK = r.Header.Get("Authorization") == "Bearer "+f.token
	case GitLab:
		authOK = r.Header.Get("PRIVATE-TOKEN") == f.token
	case Gitea:
		authOK = r.Header.Get("Authorization") == "token "+f.token
	}
	if !authOK || !strings.Contains(r.Header.Get("User-Agent"), "imagepilot") {
		f.t.Errorf("%s: auth %q / %q, user agent %q", line, r.Header.Get("Authorization"), r.Header.Get("PRIVATE-TOKEN"), r.Header.Get("User-Agent"))
	}
	a, ok := f.answers[r.Method+" "+r.URL.EscapedPath()]
	if !ok {
		a = wireAnswer{status: http.StatusNotFound, body: `{"message":"Not Found"}`}
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (f *wireFake) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

// wireProvider starts a wireFake for kind and a provider talking to it at
// the project path (GitHub through the enterprise /api/v3 prefix).
func wireProvider(t *testing.T, kind, project string, answers map[string]wireAnswer) (*wireFake, Provider) {
	t.Helper()
	f := &wireFake{t: t, kind: kind, token: "wire-token-1", answers: answers}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	p, err := New(Config{Provider: kind, RepoURL: srv.URL + "/" + project + ".git", Token: f.token})
	if err != nil {
		t.Fatal(err)
	}
	return f, p
}

const (
	ghPulls = "/api/v3/repos/team/app/pulls"
	glMRs   = "/api/v4/projects/group%2Fsub%2Fapp/merge_requests"
	gtPulls = "/api/v1/repos/team/app/pulls"
)

var (
	ghPR6 = `{"number":6,"html_url":"https://ghe.example/team/app/pull/6","title":"build: update","head":{"ref":"image-updater/a1"},"base":{"ref":"main"}}`
	glMR6 = `{"iid":6,"id":106,"web_url":"https://gl.example/group/sub/app/-/merge_requests/6","title":"build: update","source_branch":"image-updater/a1","target_branch":"main"}`
	gtPR6 = `{"number":6,"html_url":"https://gitea.example/team/app/pulls/6","title":"build: update","head":{"ref":"image-updater/a1"},"base":{"ref":"main"}}`
)

// TestWireFormat pins the requests each provider sends for each call to
// what the forge's REST documentation describes: paths (GitHub Enterprise's
// /api/v3, GitLab's URL-encoded group/subgroup/project and branch, Gitea's
// /api/v1), methods, query parameters and JSON bodies.
func TestWireFormat(t *testing.T) {
	ctx := context.Background()
	open := NewPullRequest{Head: "image-updater/a1", Base: "main", Title: "build: update", Body: "updates app to 1.2.3", Labels: []string{"deps", "auto"}}
	tests := []struct {
		name, kind, project string
		answers             map[string]wireAnswer
		call                func(Provider) (any, error)
		want                []string
		wantResult          string
	}{
		{name: "open with labels", kind: GitHub, project: "team/app",
			answers: map[string]wireAnswer{"POST " + ghPulls: {201, ghPR6, nil}, "POST /api/v3/repos/team/app/issues/6/labels": {200, `[{"name":"deps"},{"name":"auto"}]`, nil}},
			call:    func(p Provider) (any, error) { return p.Open(ctx, open) },
			want: []string{
				`POST ` + ghPulls + ` {"base":"main","body":"updates app to 1.2.3","head":"image-updater/a1","title":"build: update"}`,
				`POST /api/v3/repos/team/app/issues/6/labels ["deps","auto"]`,
			},
			wantResult: `{6 https://ghe.example/team/app/pull/6 image-updater/a1 main build: update false []}`},
		{name: "open with labels", kind: GitLab, project: "group/sub/app",
			answers: map[string]wireAnswer{"POST " + glMRs: {201, glMR6, nil}},
			call:    func(p Provider) (any, error) { return p.Open(ctx, open) },
			want: []string{
				`POST ` + glMRs + ` {"description":"updates app to 1.2.3","labels":"deps,auto","source_branch":"image-updater/a1","target_branch":"main","title":"build: update"}`,
			},
			wantResult: `{6 https://gl.example/group/sub/app/-/merge_requests/6 image-updater/a1 main build: update false []}`},
		{name: "open with labels", kind: Gitea, project: "team/app",
			answers: map[string]wireAnswer{"GET /api/v1/repos/team/app/labels": {200, `[{"id":11,"name":"deps"},{"id":12,"name":"auto"},{"id":13,"name":"other"}]`, nil},
				"POST " + gtPulls: {201, gtPR6, nil}},
			call: func(p Provider) (any, error) { return p.Open(ctx, open) },
			want: []string{
				`GET /api/v1/repos/team/app/labels?limit=50&page=1`,
				`POST ` + gtPulls + ` {"base":"main","body":"updates app to 1.2.3","head":"image-updater/a1","labels":[11,12],"title":"build: update"}`,
			},
			wantResult: `{6 https://gitea.example/team/app/pulls/6 image-updater/a1 main build: update false []}`},
		{name: "find open", kind: GitHub, project: "team/app",
			answers:    map[string]wireAnswer{"GET " + ghPulls: {200, `[` + ghPR6 + `]`, nil}},
			call:       func(p Provider) (any, error) { return p.FindOpen(ctx, "main", "image-updater/a1") },
			want:       []string{`GET ` + ghPulls + `?base=main&head=team%3Aimage-updater%2Fa1&page=1&per_page=100&state=open`},
			wantResult: `&{6 https://ghe.example/team/app/pull/6 image-updater/a1 main build: update false []}`},
		{name: "find open", kind: GitLab, project: "group/sub/app",
			answers:    map[string]wireAnswer{"GET " + glMRs: {200, `[` + glMR6 + `]`, nil}},
			call:       func(p Provider) (any, error) { return p.FindOpen(ctx, "main", "image-updater/a1") },
			want:       []string{`GET ` + glMRs + `?page=1&per_page=100&source_branch=image-updater%2Fa1&state=opened&target_branch=main`},
			wantResult: `&{6 https://gl.example/group/sub/app/-/merge_requests/6 image-updater/a1 main build: update false []}`},
		{name: "find open", kind: Gitea, project: "team/app",
			answers:    map[string]wireAnswer{"GET " + gtPulls: {200, `[` + gtPR6 + `]`, nil}},
			call:       func(p Provider) (any, error) { return p.FindOpen(ctx, "main", "image-updater/a1") },
			want:       []string{`GET ` + gtPulls + `?limit=50&page=1&state=open`},
			wantResult: `&{6 https://gitea.example/team/app/pulls/6 image-updater/a1 main build: update false []}`},
		{name: "close with comment", kind: GitHub, project: "team/app",
			answers: map[string]wireAnswer{"POST /api/v3/repos/team/app/issues/6/comments": {201, `{"id":1}`, nil}, "PATCH " + ghPulls + "/6": {200, ghPR6, nil}},
			call:    func(p Provider) (any, error) { return nil, p.Close(ctx, PullRequest{Number: 6}, "superseded by #7") },
			want: []string{
				`POST /api/v3/repos/team/app/issues/6/comments {"body":"superseded by #7"}`,
				`PATCH ` + ghPulls + `/6 {"state":"closed"}`,
			}},
		{name: "close with comment", kind: GitLab, project: "group/sub/app",
			answers: map[string]wireAnswer{"POST " + glMRs + "/6/notes": {201, `{"id":1}`, nil}, "PUT " + glMRs + "/6": {200, glMR6, nil}},
			call:    func(p Provider) (any, error) { return nil, p.Close(ctx, PullRequest{Number: 6}, "superseded by !7") },
			want: []string{
				`POST ` + glMRs + `/6/notes {"body":"superseded by !7"}`,
				`PUT ` + glMRs + `/6 {"state_event":"close"}`,
			}},
		{name: "close with comment", kind: Gitea, project: "team/app",
			answers: map[string]wireAnswer{"POST /api/v1/repos/team/app/issues/6/comments": {201, `{"id":1}`, nil}, "PATCH " + gtPulls + "/6": {201, gtPR6, nil}},
			call:    func(p Provider) (any, error) { return nil, p.Close(ctx, PullRequest{Number: 6}, "superseded by #7") },
			want: []string{
				`POST /api/v1/repos/team/app/issues/6/comments {"body":"superseded by #7"}`,
				`PATCH ` + gtPulls + `/6 {"state":"closed"}`,
			}},
		{name: "close without comment", kind: GitHub, project: "team/app",
			answers: map[string]wireAnswer{"PATCH " + ghPulls + "/9": {200, ghPR6, nil}},
			call:    func(p Provider) (any, error) { return nil, p.Close(ctx, PullRequest{Number: 9}, "") },
			want:    []string{`PATCH ` + ghPulls + `/9 {"state":"closed"}`}},
		{name: "delete branch", kind: GitHub, project: "team/app",
			answers: map[string]wireAnswer{"DELETE /api/v3/repos/team/app/git/refs/heads/image-updater/a1": {204, ``, nil}},
			call:    func(p Provider) (any, error) { return nil, p.DeleteBranch(ctx, "image-updater/a1") },
			want:    []string{`DELETE /api/v3/repos/team/app/git/refs/heads/image-updater/a1`}},
		{name: "delete branch", kind: GitLab, project: "group/sub/app",
			answers: map[string]wireAnswer{"DELETE /api/v4/projects/group%2Fsub%2Fapp/repository/branches/image-updater%2Fa1": {204, ``, nil}},
			call:    func(p Provider) (any, error) { return nil, p.DeleteBranch(ctx, "image-updater/a1") },
			want:    []string{`DELETE /api/v4/projects/group%2Fsub%2Fapp/repository/branches/image-updater%2Fa1`}},
		// Gitea's route takes the rest of the path as the branch name.
		{name: "delete branch", kind: Gitea, project: "team/app",
			answers: map[string]wireAnswer{"DELETE /api/v1/repos/team/app/branches/image-updater/a1": {204, ``, nil}},
			call:    func(p Provider) (any, error) { return nil, p.DeleteBranch(ctx, "image-updater/a1") },
			want:    []string{`DELETE /api/v1/repos/team/app/branches/image-updater/a1`}},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.name, func(t *testing.T) {
			f, p := wireProvider(t, tt.kind, tt.project, tt.answers)
			res, err := tt.call(p)
			if err != nil {
				t.Fatalf("call: %v\nrequests:\n%s", err, strings.Join(f.requests(), "\n"))
			}
			if got := f.requests(); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.wantResult != "" {
				if got := fmtResult(res); got != tt.wantResult {
					t.Fatalf("result %s, want %s", got, tt.wantResult)
				}
			}
		})
	}
}

func fmtResult(v any) string {
	switch r := v.(type) {
	case PullRequest:
		return fmtPR(r)
	case *PullRequest:
		if r == nil {
			return "<nil>"
		}
		return "&" + fmtPR(*r)
	}
	return fmt.Sprintf("%T", v)
}

func fmtPR(p PullRequest) string {
	return fmt.Sprintf("{%d %s %s %s %s %v [%s]}", p.Number, p.URL, p.Head, p.Base, p.Title, p.Existed, strings.Join(p.Warnings, "; "))
}
