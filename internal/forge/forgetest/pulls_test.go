package forgetest

import (
	"net/http"
	"strings"
	"testing"
)

// TestCreate: creating a request answers what each forge documents: 201
// with the request, 422 (GitHub) for missing fields and for a duplicate
// ("A pull request already exists for owner:head."), 409 (GitLab: a
// message list; Gitea: a message) for a duplicate.
func TestCreate(t *testing.T) {
	tests := []struct {
		name, kind string
		body       map[string]any
		status     int
		want       string // substring of the JSON answer
	}{
		{"created", GitHub, map[string]any{"head": "h", "base": "main", "title": "t", "body": "b"}, 201,
			`"head":{"label":"team:h","ref":"h","repo":{"full_name":"team/app"}},"html_url":"URL/team/app/pull/2","number":2,"state":"open","title":"t"`},
		{"missing title", GitHub, map[string]any{"head": "h", "base": "main"}, 422, `"code":"missing_field"`},
		{"missing head", GitHub, map[string]any{"base": "main", "title": "t"}, 422, `"message":"Validation Failed"`},
		{"duplicate", GitHub, map[string]any{"head": "dup", "base": "main", "title": "t"}, 422,
			`"message":"A pull request already exists for team:dup."`},
		{"duplicate into another base is fine", GitHub, map[string]any{"head": "dup", "base": "release", "title": "t"}, 201, `"number":2`},
		{"created", GitLab, map[string]any{"source_branch": "h", "target_branch": "main", "title": "t", "description": "d", "labels": "deps,auto"}, 201,
			`"iid":2,"labels":["deps","auto"],"source_branch":"h","source_project_id":7,"state":"opened","target_branch":"main","target_project_id":7,"title":"t","web_url":"URL/team/app/-/merge_requests/2"`},
		{"duplicate", GitLab, map[string]any{"source_branch": "dup", "target_branch": "main", "title": "t"}, 409,
			`{"message":["Another open merge request already exists for this source branch: !1"]}`},
		{"created with label ids", Gitea, map[string]any{"head": "h", "base": "main", "title": "t", "labels": []int{12}}, 201,
			`"labels":[{"id":12,"name":"auto"}],"merged":false,"number":2`},
		{"duplicate", Gitea, map[string]any{"head": "dup", "base": "main", "title": "t"}, 409, `{"message":"pull request already exists for these targets"}`},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.name, func(t *testing.T) {
			s := New(t, tt.kind, "team/app", "tok")
			s.Labels["deps"], s.Labels["auto"] = 11, 12
			s.Add(PR{Head: "dup", Base: "main", Title: "first"})
			status, _, body := call(t, s, http.MethodPost, pullsPath(tt.kind, "team/app"), authFor(tt.kind, "tok"), tt.body)
			got := strings.ReplaceAll(jsonText(body), s.URL, "URL")
			if status != tt.status || !strings.Contains(got, tt.want) {
				t.Fatalf("HTTP %d %s\nwant %d with %s", status, got, tt.status, tt.want)
			}
			if n := len(s.PRs()); (status == 201) != (n == 2) {
				t.Fatalf("%d requests held after HTTP %d", n, status)
			}
		})
	}
}

// TestUpdates: comments, closing, labels and branch deletion, each on its
// forge's path, and what an unknown request number answers.
func TestUpdates(t *testing.T) {
	gl := "/api/v4/projects/team%2Fapp"
	tests := []struct {
		name, kind, method, path string
		body                     any
		status                   int
		check                    func(PR, []string) bool
	}{
		{"comment", GitHub, "POST", "/api/v3/repos/team/app/issues/1/comments", map[string]any{"body": "hi"}, 201, func(p PR, _ []string) bool { return strings.Join(p.Comments, "|") == "hi" }},
		{"comment", GitLab, "POST", gl + "/merge_requests/1/notes", map[string]any{"body": "hi"}, 201, func(p PR, _ []string) bool { return strings.Join(p.Comments, "|") == "hi" }},
		{"comment", Gitea, "POST", "/api/v1/repos/team/app/issues/1/comments", map[string]any{"body": "hi"}, 201, func(p PR, _ []string) bool { return strings.Join(p.Comments, "|") == "hi" }},
		{"close", GitHub, "PATCH", "/api/v3/repos/team/app/pulls/1", map[string]any{"state": "closed"}, 200, func(p PR, _ []string) bool { return p.State == "closed" }},
		{"close", GitLab, "PUT", gl + "/merge_requests/1", map[string]any{"state_event": "close"}, 200, func(p PR, _ []string) bool { return p.State == "closed" }},
		{"close", Gitea, "PATCH", "/api/v1/repos/team/app/pulls/1", map[string]any{"state": "closed"}, 201, func(p PR, _ []string) bool { return p.State == "closed" }},
		{"edit without state keeps it open", GitHub, "PATCH", "/api/v3/repos/team/app/pulls/1", map[string]any{"title": "x"}, 200, func(p PR, _ []string) bool { return p.State == "open" }},
		{"GitLab reopen event is not a close", GitLab, "PUT", gl + "/merge_requests/1", map[string]any{"state_event": "reopen"}, 200, func(p PR, _ []string) bool { return p.State == "open" }},
		{"labels", GitHub, "POST", "/api/v3/repos/team/app/issues/1/labels", []string{"deps", "auto"}, 200, func(p PR, _ []string) bool { return strings.Join(p.Labels, ",") == "deps,auto" }},
		{"comment on unknown", GitHub, "POST", "/api/v3/repos/team/app/issues/9/comments", map[string]any{"body": "hi"}, 404, nil},
		{"labels on unknown", GitHub, "POST", "/api/v3/repos/team/app/issues/9/labels", []string{"x"}, 404, nil},
		{"comment on unknown", GitLab, "POST", gl + "/merge_requests/9/notes", map[string]any{"body": "hi"}, 404, nil},
		{"close unknown", GitLab, "PUT", gl + "/merge_requests/9", map[string]any{"state_event": "close"}, 404, nil},
		{"close non-numeric", Gitea, "PATCH", "/api/v1/repos/team/app/pulls/abc", map[string]any{"state": "closed"}, 404, nil},
		{"delete branch", GitHub, "DELETE", "/api/v3/repos/team/app/git/refs/heads/feature/x", nil, 204, func(_ PR, d []string) bool { return strings.Join(d, ",") == "feature/x" }},
		{"delete branch", GitLab, "DELETE", gl + "/repository/branches/feature%2Fx", nil, 204, func(_ PR, d []string) bool { return strings.Join(d, ",") == "feature/x" }},
		{"delete branch", Gitea, "DELETE", "/api/v1/repos/team/app/branches/feature%2Fx", nil, 204, func(_ PR, d []string) bool { return strings.Join(d, ",") == "feature/x" }},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.name, func(t *testing.T) {
			s := New(t, tt.kind, "team/app", "tok")
			s.Add(PR{Head: "feature/x", Base: "main", Title: "t"})
			status, _, _ := call(t, s, tt.method, tt.path, authFor(tt.kind, "tok"), tt.body)
			if status != tt.status {
				t.Fatalf("HTTP %d, want %d", status, tt.status)
			}
			if tt.check != nil && !tt.check(s.PRs()[0], s.Deleted()) {
				t.Fatalf("after %s: %+v, deleted %v", tt.name, s.PRs()[0], s.Deleted())
			}
		})
	}
}

// TestGiteaLabels: the repository's labels are listed by id order, and
// create maps label ids back to names.
func TestGiteaLabels(t *testing.T) {
	s := New(t, Gitea, "team/app", "tok")
	s.PageSize = 10
	s.Labels["zeta"], s.Labels["alpha"], s.Labels["mid"] = 3, 9, 5
	_, _, body := call(t, s, http.MethodGet, "/api/v1/repos/team/app/labels", authFor(Gitea, "tok"), nil)
	if got := jsonText(body); got != `[{"id":3,"name":"zeta"},{"id":5,"name":"mid"},{"id":9,"name":"alpha"}]` {
		t.Fatalf("labels %s", got)
	}
	call(t, s, http.MethodPost, "/api/v1/repos/team/app/pulls", authFor(Gitea, "tok"), map[string]any{"head": "h", "base": "main", "title": "t", "labels": []int{9, 4}})
	if l := s.PRs()[0].Labels; strings.Join(l, ",") != "alpha" {
		t.Fatalf("labels %v: want the known id's name only", l)
	}
}

// TestFail: an injected failure answers every later call of its op with
// the status until it is cleared, and leaves other ops alone.
func TestFail(t *testing.T) {
	for _, tt := range []struct {
		kind, op, method, path string
		body                   any
	}{
		{GitHub, "list", "GET", "/api/v3/repos/team/app/pulls", nil},
		{GitHub, "create", "POST", "/api/v3/repos/team/app/pulls", map[string]any{"head": "h", "base": "main", "title": "t"}},
		{GitHub, "labels", "POST", "/api/v3/repos/team/app/issues/1/labels", []string{"x"}},
		{GitLab, "comment", "POST", "/api/v4/projects/team%2Fapp/merge_requests/1/notes", map[string]any{"body": "c"}},
		{GitLab, "close", "PUT", "/api/v4/projects/team%2Fapp/merge_requests/1", map[string]any{"state_event": "close"}},
		{Gitea, "delete", "DELETE", "/api/v1/repos/team/app/branches/feature", nil},
		{Gitea, "labels", "GET", "/api/v1/repos/team/app/labels", nil},
	} {
		s := New(t, tt.kind, "team/app", "tok")
		s.Add(PR{Head: "feature", Base: "main", Title: "t"})
		s.Fail(tt.op, http.StatusServiceUnavailable)
		s.Fail("other", http.StatusTeapot)
		for range 2 {
			status, _, body := call(t, s, tt.method, tt.path, authFor(tt.kind, "tok"), tt.body)
			if status != 503 || jsonText(body) != `{"message":"injected failure 503"}` {
				t.Errorf("%s %s: HTTP %d %s, want the injected 503", tt.kind, tt.op, status, jsonText(body))
			}
		}
		s.Fail(tt.op, 0)
		if status, _, _ := call(t, s, tt.method, tt.path, authFor(tt.kind, "tok"), tt.body); status >= 300 {
			t.Errorf("%s %s after clearing: HTTP %d", tt.kind, tt.op, status)
		}
	}
}
