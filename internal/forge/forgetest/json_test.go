package forgetest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRepresentation: the JSON fields each forge documents for a request
// in each state, and how a fork's head shows (GitHub and Gitea: the head
// repository and its owner's label; GitLab: another source_project_id).
func TestRepresentation(t *testing.T) {
	pick := func(m map[string]any, path string) string {
		var v any = m
		for _, k := range strings.Split(path, ".") {
			mm, _ := v.(map[string]any)
			v = mm[k]
		}
		return fmt.Sprint(v)
	}
	tests := []struct {
		kind   string
		fields []string
		want   []string // per request: the fields' values, space separated
	}{
		{GitHub, []string{"number", "state", "head.label", "head.repo.full_name", "base.ref", "base.repo.full_name", "html_url"}, []string{
			"1 open team:a team/app main team/app URL/team/app/pull/1",
			"2 closed team:b team/app main team/app URL/team/app/pull/2",
			"3 closed team:c team/app main team/app URL/team/app/pull/3",
			"4 open fork:d fork/app main team/app URL/team/app/pull/4",
		}},
		{GitLab, []string{"iid", "id", "state", "source_project_id", "target_project_id", "web_url"}, []string{
			"1 1001 opened 7 7 URL/team/app/-/merge_requests/1",
			"2 1002 closed 7 7 URL/team/app/-/merge_requests/2",
			"3 1003 merged 7 7 URL/team/app/-/merge_requests/3",
			"4 1004 opened 8 7 URL/team/app/-/merge_requests/4",
		}},
		{Gitea, []string{"number", "state", "merged", "head.repo.full_name", "labels"}, []string{
			"1 open false team/app [map[id:11 name:deps]]",
			"2 closed false team/app <nil>",
			"3 closed true team/app <nil>",
			"4 open false fork/app <nil>",
		}},
	}
	for _, tt := range tests {
		s := New(t, tt.kind, "team/app", "tok")
		s.PageSize = 10
		s.Labels["deps"] = 11
		s.Add(PR{Head: "a", Base: "main", Labels: []string{"deps"}})
		s.Add(PR{Head: "b", Base: "main", State: "closed"})
		s.Add(PR{Head: "c", Base: "main", State: "merged"})
		s.Add(PR{Head: "d", Base: "main", HeadRepo: "fork/app"})
		_, _, body := call(t, s, http.MethodGet, pullsPath(tt.kind, "team/app"), authFor(tt.kind, "tok"), nil)
		items, _ := body.([]any)
		if len(items) != len(tt.want) {
			t.Fatalf("%s: %d requests listed, want %d", tt.kind, len(items), len(tt.want))
		}
		for i, it := range items {
			var vals []string
			for _, f := range tt.fields {
				vals = append(vals, strings.ReplaceAll(pick(it.(map[string]any), f), s.URL, "URL"))
			}
			if got := strings.Join(vals, " "); got != tt.want[i] {
				t.Errorf("%s #%d: %s = %q, want %q", tt.kind, i+1, tt.fields, got, tt.want[i])
			}
		}
	}
}

// TestMounted: a fake made with NewHandler serves under another server
// (as a GitHub Enterprise host serves git and the API side by side) and
// builds web URLs from the URL its caller sets.
func TestMounted(t *testing.T) {
	s := NewHandler(t, GitHub, "team/app", "tok")
	mux := http.NewServeMux()
	mux.Handle("/api/", s)
	mux.HandleFunc("/team/app.git/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s.URL = srv.URL
	status, _, body := call(t, s, http.MethodPost, "/api/v3/repos/team/app/pulls", authFor(GitHub, "tok"), map[string]any{"head": "h", "base": "main", "title": "t"})
	if m, _ := body.(map[string]any); status != 201 || m["html_url"] != srv.URL+"/team/app/pull/1" {
		t.Fatalf("HTTP %d %s", status, jsonText(body))
	}
	if status, _, _ := call(t, s, http.MethodGet, "/team/app.git/info/refs", nil, nil); status != http.StatusTeapot {
		t.Fatalf("the git side answered %d", status)
	}
	if got := s.Requests(); len(got) != 1 {
		t.Fatalf("the fake saw %v", got)
	}
}

// TestConcurrentCreates: requests served at once each get their own
// number, and each is recorded once.
func TestConcurrentCreates(t *testing.T) {
	for _, kind := range kinds {
		s := New(t, kind, "team/app", "tok")
		done := make(chan int, 8)
		for i := range 8 {
			go func() {
				body := map[string]any{"head": fmt.Sprintf("h%d", i), "base": "main", "title": "t"}
				if kind == GitLab {
					body = map[string]any{"source_branch": fmt.Sprintf("h%d", i), "target_branch": "main", "title": "t"}
				}
				// Not call: t.Fatal belongs to the test's goroutine.
				req, _ := http.NewRequest(http.MethodPost, s.URL+pullsPath(kind, "team/app"), strings.NewReader(jsonText(body)))
				for k, v := range authFor(kind, "tok") {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					done <- 0
					return
				}
				resp.Body.Close()
				done <- resp.StatusCode
			}()
		}
		for range 8 {
			if st := <-done; st != http.StatusCreated {
				t.Errorf("%s: HTTP %d", kind, st)
			}
		}
		seen := map[int64]bool{}
		for _, p := range s.PRs() {
			seen[p.Number] = true
		}
		if len(seen) != 8 || len(s.Requests()) != 8 {
			t.Errorf("%s: %d distinct numbers, %d requests; want 8 and 8", kind, len(seen), len(s.Requests()))
		}
	}
}
