package forgetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// call sends one API request to s and decodes the JSON answer.
func call(t *testing.T, s *Server, method, path string, auth map[string]string, body any) (int, http.Header, any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range auth {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", method, path, raw)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// authFor is the header each forge's clients send.
func authFor(kind, token string) map[string]string {
	switch kind {
	case GitLab:
		return map[string]string{"PRIVATE-TOKEN": token}
	case Gitea:
		return map[string]string{"Authorization": "token " + token}
	}
	return map[string]string{"Authorization": "Bearer " + token}
}

// paths of the pull request collection of each kind, for project.
func pullsPath(kind, project string) string {
	switch kind {
	case GitLab:
		return "/api/v4/projects/" + strings.ReplaceAll(project, "/", "%2F") + "/merge_requests"
	case Gitea:
		return "/api/v1/repos/" + project + "/pulls"
	}
	return "/api/v3/repos/" + project + "/pulls"
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var kinds = []string{GitHub, GitLab, Gitea}

func TestAuthentication(t *testing.T) {
	tests := []struct {
		kind   string
		header map[string]string
		status int
	}{
		{GitHub, map[string]string{"Authorization": "Bearer tok"}, 200},
		{GitHub, map[string]string{"Authorization": "token tok"}, 200},
		{GitHub, map[string]string{"Authorization": "Bearer other"}, 401},
		{GitHub, nil, 401},
		{GitLab, map[string]string{"PRIVATE-TOKEN": "tok"}, 200},
		{GitLab, map[string]string{"PRIVATE-TOKEN": "other"}, 401},
		{GitLab, map[string]string{"Authorization": "token tok"}, 401},
		{Gitea, map[string]string{"Authorization": "token tok"}, 200},
		{Gitea, map[string]string{"Authorization": "Bearer other"}, 401},
		{Gitea, map[string]string{"PRIVATE-TOKEN": "tok"}, 401},
	}
	for _, tt := range tests {
		s := New(t, tt.kind, "team/app", "tok")
		status, _, body := call(t, s, http.MethodGet, pullsPath(tt.kind, "team/app"), tt.header, nil)
		if status != tt.status {
			t.Errorf("%s with %v: HTTP %d, want %d", tt.kind, tt.header, status, tt.status)
		}
		if status == 401 && jsonText(body) != `{"message":"Bad credentials"}` {
			t.Errorf("%s: 401 body %s", tt.kind, jsonText(body))
		}
	}
}

func TestRouting(t *testing.T) {
	tests := []struct {
		kind, method, path string
		status             int
		message            string
	}{
		{GitHub, "GET", "/repos/team/app/pulls", 404, "Not Found"}, // no /api/v3 prefix
		{GitHub, "GET", "/api/v3/repos/other/app/pulls", 404, "Not Found"},
		{GitHub, "PUT", "/api/v3/repos/team/app/pulls", 404, "Not Found"},
		{GitHub, "PATCH", "/api/v3/repos/team/app/pulls/x", 404, "Not Found"},
		{GitLab, "GET", "/api/v4/projects/group/sub/app/merge_requests", 404, "404 Project Not Found"}, // the project must be one encoded segment
		{GitLab, "GET", "/api/v4/projects/group%2Fsub%2Fapp/issues", 404, "404 Not Found"},
		{GitLab, "PUT", "/api/v4/projects/group%2Fsub%2Fapp/merge_requests/99", 404, "Not Found"},
		{Gitea, "GET", "/api/v3/repos/team/app/pulls", 404, "Not Found"},
		{Gitea, "POST", "/api/v1/repos/team/app/issues/5/comments", 404, "Not Found"},
		{Gitea, "GET", "/api/v1/repos/team/app/pulls", 200, ""},
		{GitHub, "GET", "/api/v3/repos/team/app/pulls", 200, ""},
	}
	for _, tt := range tests {
		project := "team/app"
		if tt.kind == GitLab {
			project = "group/sub/app"
		}
		s := New(t, tt.kind, project, "tok")
		status, _, body := call(t, s, tt.method, tt.path, authFor(tt.kind, "tok"), map[string]any{"state": "closed"})
		m, _ := body.(map[string]any)
		msg, _ := m["message"].(string)
		if tt.status == http.StatusOK && jsonText(body) != "[]" {
			t.Errorf("%s: an empty list is %s, want []", tt.kind, jsonText(body))
		}
		if status != tt.status || (tt.message != "" && msg != tt.message) {
			t.Errorf("%s %s %s: HTTP %d %q, want %d %q", tt.kind, tt.method, tt.path, status, msg, tt.status, tt.message)
		}
	}
}

func TestMalformedJSON(t *testing.T) {
	for _, kind := range kinds {
		s := New(t, kind, "team/app", "tok")
		status, _, body := call(t, s, http.MethodPost, pullsPath(kind, "team/app"), authFor(kind, "tok"), `{"title": `)
		if status != http.StatusBadRequest || jsonText(body) != `{"message":"Problems parsing JSON"}` || len(s.PRs()) != 0 {
			t.Errorf("%s: HTTP %d %s", kind, status, jsonText(body))
		}
	}
}

// TestPagination: lists are cut at PageSize (or a smaller per_page/limit)
// and the next page is announced as each forge does: a Link rel="next"
// header (GitHub, Gitea) or X-Next-Page (GitLab); the last page has none.
func TestPagination(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			s := New(t, kind, "team/app", "tok")
			for i := range 5 {
				s.Add(PR{Head: fmt.Sprintf("h%d", i+1), Base: "main", Title: "t"})
			}
			tests := []struct {
				query string
				heads string
				next  string
			}{
				{"", "h1 h2", "2"},
				{"?page=2", "h3 h4", "3"},
				{"?page=3", "h5", ""},
				{"?page=9", "", ""},
				{"?per_page=1&page=2", "h2", "3"},
				{"?limit=1&page=5", "h5", ""},
				{"?per_page=50", "h1 h2", "2"}, // never more than PageSize
				{"?page=0", "h1 h2", "2"},
			}
			for _, tt := range tests {
				status, h, body := call(t, s, http.MethodGet, pullsPath(kind, "team/app")+tt.query, authFor(kind, "tok"), nil)
				var heads []string
				items, _ := body.([]any)
				for _, it := range items {
					m := it.(map[string]any)
					if kind == GitLab {
						heads = append(heads, m["source_branch"].(string))
					} else {
						heads = append(heads, m["head"].(map[string]any)["ref"].(string))
					}
				}
				next := h.Get("X-Next-Page")
				if link := h.Get("Link"); link != "" {
					if !strings.HasPrefix(link, "<http://") || !strings.HasSuffix(link, `>; rel="next"`) {
						t.Errorf("%s: Link %q", tt.query, link)
					}
					_, after, _ := strings.Cut(link, "page=")
					next, _, _ = strings.Cut(after, ">")
					next, _, _ = strings.Cut(next, "&")
				}
				if kind == GitLab && h.Get("Link") != "" || kind != GitLab && h.Get("X-Next-Page") != "" {
					t.Errorf("%s: %s used the other forge's pagination header", tt.query, kind)
				}
				if status != 200 || strings.Join(heads, " ") != tt.heads || next != tt.next {
					t.Errorf("%s: HTTP %d heads %v next %q, want %q next %q", tt.query, status, heads, next, tt.heads, tt.next)
				}
			}
		})
	}
}

// TestListFilters: the query filters each forge documents (GitHub head as
// owner:branch, base, state; GitLab source_branch, target_branch,
// state=opened; Gitea state only).
func TestListFilters(t *testing.T) {
	tests := []struct {
		kind, query, want string
	}{
		{GitHub, "?state=open", "1 3 4"},
		{GitHub, "?state=open&head=team:feature", "1"},
		{GitHub, "?state=open&head=feature", ""}, // head without owner matches nothing
		{GitHub, "?state=open&head=fork:feature", "4"},
		{GitHub, "?state=open&base=release", "3"},
		{GitHub, "", "1 2 3 4"},
		{GitLab, "?state=opened", "1 3 4"},
		{GitLab, "?state=opened&source_branch=feature", "1 4"},
		{GitLab, "?state=opened&target_branch=release", "3"},
		{GitLab, "?source_branch=feature&target_branch=main", "1 2 4"},
		{Gitea, "?state=open", "1 3 4"},
		{Gitea, "?state=open&head=team:nope", "1 3 4"}, // Gitea has no head filter
	}
	for _, tt := range tests {
		s := New(t, tt.kind, "team/app", "tok")
		s.PageSize = 10
		s.Add(PR{Head: "feature", Base: "main", Title: "a"})
		s.Add(PR{Head: "feature", Base: "main", Title: "b", State: "closed"})
		s.Add(PR{Head: "other", Base: "release", Title: "c"})
		s.Add(PR{Head: "feature", Base: "main", Title: "d", HeadRepo: "fork/app"})
		_, _, body := call(t, s, http.MethodGet, pullsPath(tt.kind, "team/app")+tt.query, authFor(tt.kind, "tok"), nil)
		var nums []string
		for _, it := range body.([]any) {
			m := it.(map[string]any)
			n := m["number"]
			if tt.kind == GitLab {
				n = m["iid"]
			}
			nums = append(nums, fmt.Sprint(n))
		}
		if strings.Join(nums, " ") != tt.want {
			t.Errorf("%s %s: %v, want %s", tt.kind, tt.query, nums, tt.want)
		}
	}
}
