package forgetest

import (
	"net/http"
	"strings"
	"testing"
)

// TestGitData: the Git Data API on a bare repository, request by request,
// with GitHub's status codes for malformed requests; the commit it makes is
// a real commit of the repository, reported verified.
func TestGitData(t *testing.T) {
	s := New(t, GitHub, "team/app", "tok")
	s.BareRepo = bareRepo(t)
	auth := authFor(GitHub, "tok")
	base := "/api/v3/repos/team/app/git/"
	main := revParse(t, s.BareRepo, "refs/heads/main")
	tree := revParse(t, s.BareRepo, main+"^{tree}")
	sha := func(body any) string {
		m, _ := body.(map[string]any)
		v, _ := m["sha"].(string)
		return v
	}
	steps := []struct {
		name, method, path string
		body               any
		status             int
		text               string
	}{
		{"blob utf-8", "POST", "blobs", map[string]any{"content": "a: 1\n"}, 201, `"sha"`},
		{"blob base64", "POST", "blobs", map[string]any{"content": "YTogMgo=", "encoding": "base64"}, 201, `"sha"`},
		{"blob bad base64", "POST", "blobs", map[string]any{"content": "%%%", "encoding": "base64"}, 422, "Base64"},
		{"blob bad encoding", "POST", "blobs", map[string]any{"content": "x", "encoding": "latin1"}, 422, "encoding"},
		{"blob without content", "POST", "blobs", map[string]any{}, 422, "content"},
		{"tree bad base", "POST", "trees", map[string]any{"base_tree": strings.Repeat("1", 40), "tree": []any{}}, 422, "base_tree"},
		{"tree bad path", "POST", "trees", map[string]any{"base_tree": tree, "tree": []any{map[string]any{"path": "../x", "mode": "100644", "type": "blob", "content": "x"}}}, 422, "malformed"},
		{"tree bad mode", "POST", "trees", map[string]any{"base_tree": tree, "tree": []any{map[string]any{"path": "x", "mode": "040000", "type": "blob", "content": "x"}}}, 422, "mode"},
		{"tree unknown blob", "POST", "trees", map[string]any{"base_tree": tree, "tree": []any{map[string]any{"path": "x", "mode": "100644", "type": "blob", "sha": strings.Repeat("2", 40)}}}, 422, "not a valid blob"},
		{"commit bad tree", "POST", "commits", map[string]any{"message": "m", "tree": strings.Repeat("3", 40)}, 422, "tree"},
		{"commit with an author", "POST", "commits", map[string]any{"message": "m", "tree": tree, "author": map[string]any{"name": "x"}}, 422, "author"},
		{"commit unknown", "GET", "commits/" + strings.Repeat("4", 40), nil, 404, "Not Found"},
		{"ref missing", "GET", "ref/heads/nope", nil, 404, "Not Found"},
		{"ref", "GET", "ref/heads/main", nil, 200, main},
		{"create ref that exists", "POST", "refs", map[string]any{"ref": "refs/heads/main", "sha": main}, 422, "already exists"},
		{"create ref bad name", "POST", "refs", map[string]any{"ref": "main", "sha": main}, 422, "refs/"},
		{"update missing ref", "PATCH", "refs/heads/nope", map[string]any{"sha": main}, 422, "does not exist"},
	}
	for _, st := range steps {
		status, _, body := call(t, s, st.method, base+st.path, auth, st.body)
		if status != st.status || !strings.Contains(jsonText(body), st.text) {
			t.Errorf("%s: HTTP %d %s", st.name, status, jsonText(body))
		}
	}

	// A commit through the API: tree on main's tree with one inline file
	// and one deletion, commit, fast-forward of main.
	_, _, body := call(t, s, "POST", base+"trees", auth, map[string]any{"base_tree": tree, "tree": []any{
		map[string]any{"path": "dir/new.yaml", "mode": "100644", "type": "blob", "content": "n: 1\n"},
		map[string]any{"path": "absent", "mode": "100644", "type": "blob", "sha": nil},
	}})
	newTree := sha(body)
	status, _, body := call(t, s, "POST", base+"commits", auth, map[string]any{"message": "api", "tree": newTree, "parents": []any{main}})
	commit := sha(body)
	if status != 201 || !strings.Contains(jsonText(body), `"verified":true`) || !strings.Contains(jsonText(body), `"reason":"valid"`) || !s.Verified(commit) {
		t.Fatalf("create commit: HTTP %d %s", status, jsonText(body))
	}
	if status, _, body := call(t, s, "GET", base+"commits/"+main, auth, nil); status != 200 || !strings.Contains(jsonText(body), `"verified":false`) {
		t.Fatalf("seed commit: HTTP %d %s", status, jsonText(body))
	}
	// feature is not an ancestor of the new commit: not a fast-forward.
	if status, _, body := call(t, s, "PATCH", base+"refs/heads/feature", auth, map[string]any{"sha": commit}); status != 422 || !strings.Contains(jsonText(body), "not a fast forward") {
		t.Fatalf("non-fast-forward: HTTP %d %s", status, jsonText(body))
	}
	if status, _, _ := call(t, s, "PATCH", base+"refs/heads/main", auth, map[string]any{"sha": commit}); status != 200 || revParse(t, s.BareRepo, "refs/heads/main") != commit {
		t.Fatalf("fast-forward: HTTP %d", status)
	}
	if got := revParse(t, s.BareRepo, "refs/heads/main:dir/new.yaml"); got == "" {
		t.Fatal("the new file is not in the repository")
	}
	if status, _, _ := call(t, s, "PATCH", base+"refs/heads/feature", auth, map[string]any{"sha": commit, "force": true}); status != 200 || revParse(t, s.BareRepo, "refs/heads/feature") != commit {
		t.Fatalf("forced: HTTP %d", status)
	}
	if status, _, _ := call(t, s, "POST", base+"refs", auth, map[string]any{"ref": "refs/heads/auto/x", "sha": commit}); status != 201 || revParse(t, s.BareRepo, "refs/heads/auto/x") != commit {
		t.Fatalf("create ref: HTTP %d", status)
	}
	s.Fail("gitdata", http.StatusBadGateway)
	if status, _, _ := call(t, s, "GET", base+"ref/heads/main", auth, nil); status != http.StatusBadGateway {
		t.Fatalf("injected failure: HTTP %d", status)
	}
	if status, _, _ := call(t, s, "GET", base+"ref/heads/main", map[string]string{"Authorization": "Bearer other"}, nil); status != 401 {
		t.Fatalf("bad token: HTTP %d", status)
	}
}

// TestGitDataWithoutRepository: without BareRepo the Git Data API is absent.
func TestGitDataWithoutRepository(t *testing.T) {
	s := New(t, GitHub, "team/app", "tok")
	if status, _, _ := call(t, s, "POST", "/api/v3/repos/team/app/git/blobs", authFor(GitHub, "tok"), map[string]any{"content": "x"}); status != 404 {
		t.Fatalf("HTTP %d", status)
	}
}
