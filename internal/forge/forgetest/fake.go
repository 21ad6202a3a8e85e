// Package forgetest is a fake GitHub, GitLab and Gitea REST API for tests:
// an httptest server that follows each forge's documented request and
// response shapes (paths, query parameters, JSON fields, pagination
// headers, status codes such as GitHub's 422 "A pull request already
// exists" and GitLab's and Gitea's 409), keeps pull requests in memory,
// and can be tied to a real bare Git repository so that head branches must
// exist, deleting a branch deletes the ref and merging moves the base.
//
// No real forge can run on the test machines; this fake stands in for
// their APIs, next to the real git server of test/infra.
package forgetest

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// Kinds of fake.
const (
	GitHub = "github"
	GitLab = "gitlab"
	Gitea  = "gitea"
)

// PR is a pull request the fake holds.
type PR struct {
	Number             int64
	Head, Base         string
	Title, Body, State string // State: open, closed, merged
	Labels             []string
	Comments           []string
	// HeadRepo is the head's repository (owner/name); a fork when it is
	// not the fake's.
	HeadRepo string
}

// Server is a fake forge API for one repository.
type Server struct {
	// URL is where the fake is served (scheme://host:port), set by New or
	// by the caller of NewHandler; web URLs of requests start with it.
	URL string
	// Kind is GitHub, GitLab or Gitea.
	Kind string
	// Prefix is the API's path prefix: "/api/v3" (GitHub Enterprise),
	// "/api/v4" (GitLab), "/api/v1" (Gitea), or "" (api.github.com).
	Prefix string
	// Project is the repository path ("owner/repo", "group/sub/project").
	Project string
	// Token is the only token accepted (401 otherwise).
	Token string
	// PageSize caps list pages (default 2, to exercise pagination).
	PageSize int
	// BareRepo, when set, is the bare repository behind the API: a head
	// branch must exist in it to open a request, DeleteBranch deletes the
	// ref, Merge updates the base.
	BareRepo string
	// Labels are the repository's labels (Gitea needs them by ID).
	Labels map[string]int64
	// AppID, AppInstallationID and AppKey, when set (GitHub), make the
	// fake exchange a JWT signed by AppKey for AppID at
	// POST /app/installations/{AppInstallationID}/access_tokens for an
	// installation token: Token.
	AppID, AppInstallationID int64
	AppKey                   *rsa.PublicKey
	exchanges                int
	// TokenTTL, when set, is the lifetime of exchanged installation
	// tokens (default an hour); RotateTokens makes every exchange issue a
	// new token (Token-1, Token-2, ...) and accepts only the latest.
	TokenTTL     time.Duration
	RotateTokens bool
	// OnCommit, when set, runs after the Git Data API created a commit and
	// before its answer (with the fake's lock held: it must not call the
	// API), to simulate a concurrent push.
	OnCommit func(sha string)
	verified map[string]bool

	mu       sync.Mutex
	prs      []*PR
	fail     map[string]int // op -> status, persistent
	requests []string
	deleted  []string
	t        testing.TB
}

// New starts a fake of kind for project, accepting token, on a server of
// its own. The prefix is the kind's usual one (GitHub: /api/v3, as GitHub
// Enterprise serves it).
func New(t testing.TB, kind, project, token string) *Server {
	t.Helper()
	s := NewHandler(t, kind, project, token)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// NewHandler makes a fake without a server, to mount next to something
// else (a git server, as a GitHub Enterprise host serves both); set URL.
func NewHandler(t testing.TB, kind, project, token string) *Server {
	t.Helper()
	s := &Server{Kind: kind, Project: project, Token: token, PageSize: 2, fail: map[string]int{}, t: t,
		Labels: map[string]int64{}}
	switch kind {
	case GitHub:
		s.Prefix = "/api/v3"
	case GitLab:
		s.Prefix = "/api/v4"
	case Gitea:
		s.Prefix = "/api/v1"
	default:
		t.Fatalf("forgetest: unknown kind %q", kind)
	}
	return s
}

// Fail makes every later call of op answer status (0 clears). Ops: list,
// create, close, comment, delete, labels.
func (s *Server) Fail(op string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.fail, op)
		return
	}
	s.fail[op] = status
}

// PRs returns a copy of every pull request.
func (s *Server) PRs() []PR {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PR, 0, len(s.prs))
	for _, p := range s.prs {
		c := *p
		c.Labels = append([]string(nil), p.Labels...)
		c.Comments = append([]string(nil), p.Comments...)
		out = append(out, c)
	}
	return out
}

// Open returns the open pull requests.
func (s *Server) Open() []PR {
	var out []PR
	for _, p := range s.PRs() {
		if p.State == "open" {
			out = append(out, p)
		}
	}
	return out
}

// Requests lists "METHOD path?query" of every request served.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Deleted lists the branches deleted through the API.
func (s *Server) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deleted...)
}

// Add puts a pull request in the fake (as if someone else opened it) and
// returns its number.
func (s *Server) Add(p PR) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Number = int64(len(s.prs) + 1)
	if p.State == "" {
		p.State = "open"
	}
	if p.HeadRepo == "" {
		p.HeadRepo = s.Project
	}
	s.prs = append(s.prs, &p)
	return p.Number
}

// Merge merges pull request n: in BareRepo the base branch moves to the
// head's commit (a fast-forward; the fake's heads are built on the base),
// and the request is marked merged.
func (s *Server) Merge(n int64) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pr(n)
	if p == nil || p.State != "open" {
		s.t.Fatalf("forgetest: no open pull request #%d", n)
	}
	if s.BareRepo != "" {
		sha := s.git("rev-parse", "refs/heads/"+p.Head)
		s.git("update-ref", "refs/heads/"+p.Base, sha)
	}
	p.State = "merged"
}

func (s *Server) git(args ...string) string {
	out, err := exec.Command("git", append([]string{"-C", s.BareRepo}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("forgetest: git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (s *Server) branchExists(b string) bool {
	if s.BareRepo == "" {
		return true
	}
	return exec.Command("git", "-C", s.BareRepo, "rev-parse", "--verify", "--quiet", "refs/heads/"+b).Run() == nil
}

func (s *Server) pr(n int64) *PR {
	for _, p := range s.prs {
		if p.Number == n {
			return p
		}
	}
	return nil
}

func (s *Server) webURL(n int64) string {
	switch s.Kind {
	case GitLab:
		return fmt.Sprintf("%s/%s/-/merge_requests/%d", s.URL, s.Project, n)
	default:
		return fmt.Sprintf("%s/%s/pull/%d", s.URL, s.Project, n)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	switch s.Kind {
	case GitLab:
		return r.Header.Get("PRIVATE-TOKEN") == s.Token
	case Gitea:
		return r.Header.Get("Authorization") == "token "+s.Token
	default:
		a := r.Header.Get("Authorization")
		return a == "Bearer "+s.Token || a == "token "+s.Token
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	if s.Kind == GitHub && s.AppKey != nil && r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, s.Prefix+"/app/installations/") {
		s.exchange(w, r)
		return
	}
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials"})
		return
	}
	raw := r.URL.EscapedPath()
	if !strings.HasPrefix(raw, s.Prefix+"/") {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		return
	}
	rest := strings.TrimPrefix(raw, s.Prefix)
	var body map[string]any
	if r.Body != nil {
		data, _ := io.ReadAll(r.Body)
		if len(bytes.TrimSpace(data)) > 0 && data[0] == '{' {
			if err := json.Unmarshal(data, &body); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON"})
				return
			}
		} else if len(bytes.TrimSpace(data)) > 0 && data[0] == '[' {
			var arr []any
			_ = json.Unmarshal(data, &arr)
			body = map[string]any{"labels": arr}
		}
	}
	switch s.Kind {
	case GitHub:
		s.serveGitHub(w, r, rest, body)
	case GitLab:
		s.serveGitLab(w, r, rest, body)
	case Gitea:
		s.serveGitea(w, r, rest, body)
	}
}

// Exchanges counts installation tokens handed out.
func (s *Server) Exchanges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exchanges
}

// exchange answers GitHub's "create an installation access token" for an
// App JWT (RS256, iss = the App ID) as GitHub documents it.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != fmt.Sprintf("%s/app/installations/%d/access_tokens", s.Prefix, s.AppInstallationID) {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		return
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims := jwt.RegisteredClaims{}
	tok, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("unexpected method %v", t.Header["alg"])
		}
		return s.AppKey, nil
	})
	if !ok || err != nil || !tok.Valid || claims.Issuer != strconv.FormatInt(s.AppID, 10) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "A JSON web token could not be decoded"})
		return
	}
	if s.failed(w, "exchange") {
		return
	}
	s.exchanges++
	ttl := time.Hour
	if s.TokenTTL > 0 {
		ttl = s.TokenTTL
	}
	if s.RotateTokens {
		s.Token = fmt.Sprintf("%s-%d", strings.SplitN(s.Token, "-", 2)[0], s.exchanges)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": s.Token, "expires_at": time.Now().Add(ttl).UTC().Format(time.RFC3339)})
}

func (s *Server) failed(w http.ResponseWriter, op string) bool {
	if st, ok := s.fail[op]; ok {
		writeJSON(w, st, map[string]any{"message": fmt.Sprintf("injected failure %d", st)})
		return true
	}
	return false
}

// page cuts items to the requested page and sets the pagination headers
// of the kind (Link for GitHub and Gitea, X-Next-Page for GitLab).
func page[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T) []T {
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("page"))
	if n < 1 {
		n = 1
	}
	size := s.PageSize
	for _, k := range []string{"per_page", "limit"} {
		if v, err := strconv.Atoi(q.Get(k)); err == nil && v > 0 && v < size {
			size = v
		}
	}
	start := (n - 1) * size
	if start > len(items) {
		start = len(items)
	}
	end := min(start+size, len(items))
	if end < len(items) {
		if s.Kind == GitLab {
			w.Header().Set("X-Next-Page", strconv.Itoa(n+1))
			w.Header().Set("X-Page", strconv.Itoa(n))
		} else {
			u := *r.URL
			u.Scheme, u.Host = "http", r.Host
			qq := u.Query()
			qq.Set("page", strconv.Itoa(n+1))
			u.RawQuery = qq.Encode()
			w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, u.String()))
		}
	}
	if len(items) == 0 {
		return []T{} // an empty list is [], as the forges answer, not null
	}
	return items[start:end]
}

func str(body map[string]any, k string) string {
	v, _ := body[k].(string)
	return v
}

// splitRepo cuts "/repos/{owner}/{repo}/<rest>" for GitHub and Gitea.
func (s *Server) splitRepo(w http.ResponseWriter, rest string) (string, bool) {
	prefix := "/repos/" + s.Project + "/"
	if !strings.HasPrefix(rest, prefix) {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		return "", false
	}
	return strings.TrimPrefix(rest, prefix), true
}

func (s *Server) ghPR(p *PR) map[string]any {
	return map[string]any{
		"number": p.Number, "html_url": s.webURL(p.Number), "title": p.Title, "body": p.Body, "state": map[bool]string{true: "open", false: "closed"}[p.State == "open"],
		"head": map[string]any{"ref": p.Head, "label": strings.Split(p.HeadRepo, "/")[0] + ":" + p.Head, "repo": map[string]any{"full_name": p.HeadRepo}},
		"base": map[string]any{"ref": p.Base, "repo": map[string]any{"full_name": s.Project}},
	}
}

func (s *Server) serveGitHub(w http.ResponseWriter, r *http.Request, rest string, body map[string]any) {
	sub, ok := s.splitRepo(w, rest)
	if !ok {
		return
	}
	owner := strings.Split(s.Project, "/")[0]
	switch {
	case sub == "pulls" && r.Method == http.MethodGet:
		if s.failed(w, "list") {
			return
		}
		q := r.URL.Query()
		var out []map[string]any
		for _, p := range s.prs {
			if q.Get("state") == "open" && p.State != "open" {
				continue
			}
			if h := q.Get("head"); h != "" && h != strings.Split(p.HeadRepo, "/")[0]+":"+p.Head {
				continue
			}
			if b := q.Get("base"); b != "" && b != p.Base {
				continue
			}
			out = append(out, s.ghPR(p))
		}
		writeJSON(w, http.StatusOK, page(s, w, r, out))
	case sub == "pulls" && r.Method == http.MethodPost:
		if s.failed(w, "create") {
			return
		}
		head, base := str(body, "head"), str(body, "base")
		if head == "" || base == "" || str(body, "title") == "" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
				"errors": []map[string]any{{"resource": "PullRequest", "code": "missing_field"}}})
			return
		}
		for _, p := range s.prs {
			if p.State == "open" && p.Head == head && p.Base == base {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
					"errors":            []map[string]any{{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for " + owner + ":" + head + "."}},
					"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"})
				return
			}
		}
		if !s.branchExists(head) || !s.branchExists(base) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
				"errors": []map[string]any{{"resource": "PullRequest", "field": "head", "code": "invalid"}}})
			return
		}
		p := &PR{Number: int64(len(s.prs) + 1), Head: head, Base: base, Title: str(body, "title"), Body: str(body, "body"), State: "open", HeadRepo: s.Project}
		s.prs = append(s.prs, p)
		writeJSON(w, http.StatusCreated, s.ghPR(p))
	case strings.HasPrefix(sub, "pulls/") && r.Method == http.MethodPatch:
		s.closeRequest(w, strings.TrimPrefix(sub, "pulls/"), str(body, "state") == "closed", http.StatusOK, s.ghPR)
	case strings.HasPrefix(sub, "issues/") && strings.HasSuffix(sub, "/comments") && r.Method == http.MethodPost:
		s.comment(w, strings.TrimSuffix(strings.TrimPrefix(sub, "issues/"), "/comments"), str(body, "body"))
	case strings.HasPrefix(sub, "issues/") && strings.HasSuffix(sub, "/labels") && r.Method == http.MethodPost:
		if s.failed(w, "labels") {
			return
		}
		p := s.numbered(w, strings.TrimSuffix(strings.TrimPrefix(sub, "issues/"), "/labels"))
		if p == nil {
			return
		}
		var out []map[string]any
		for _, l := range body["labels"].([]any) {
			p.Labels = append(p.Labels, l.(string))
			out = append(out, map[string]any{"name": l})
		}
		writeJSON(w, http.StatusOK, out)
	case strings.HasPrefix(sub, "git/refs/heads/") && r.Method == http.MethodDelete:
		if s.failed(w, "delete") {
			return
		}
		b, _ := url.PathUnescape(strings.TrimPrefix(sub, "git/refs/heads/"))
		s.deleteBranch(w, b, http.StatusUnprocessableEntity, map[string]any{"message": "Reference does not exist"})
	case strings.HasPrefix(sub, "git/"):
		s.serveGitData(w, r, strings.TrimPrefix(sub, "git/"), body)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
	}
}

func (s *Server) deleteBranch(w http.ResponseWriter, b string, missingStatus int, missing any) {
	if !s.branchExists(b) {
		writeJSON(w, missingStatus, missing)
		return
	}
	if s.BareRepo != "" {
		s.git("update-ref", "-d", "refs/heads/"+b)
	}
	s.deleted = append(s.deleted, b)
	w.WriteHeader(http.StatusNoContent)
}

// closeRequest closes the open request numbered num when close is set
// (after the "close" failure injection) and answers with its rendering.
func (s *Server) closeRequest(w http.ResponseWriter, num string, close bool, status int, render func(*PR) map[string]any) {
	if s.failed(w, "close") {
		return
	}
	p := s.numbered(w, num)
	if p == nil {
		return
	}
	if close && p.State == "open" {
		p.State = "closed"
	}
	writeJSON(w, status, render(p))
}

// comment adds text as a comment on the request numbered num (after the
// "comment" failure injection).
func (s *Server) comment(w http.ResponseWriter, num, text string) {
	if s.failed(w, "comment") {
		return
	}
	p := s.numbered(w, num)
	if p == nil {
		return
	}
	p.Comments = append(p.Comments, text)
	writeJSON(w, http.StatusCreated, map[string]any{"id": len(p.Comments), "body": text})
}

func (s *Server) numbered(w http.ResponseWriter, num string) *PR {
	n, err := strconv.ParseInt(num, 10, 64)
	p := s.pr(n)
	if err != nil || p == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		return nil
	}
	return p
}

func (s *Server) glMR(p *PR) map[string]any {
	state := map[string]string{"open": "opened", "closed": "closed", "merged": "merged"}[p.State]
	src := 7
	if p.HeadRepo != s.Project {
		src = 8
	}
	return map[string]any{"id": 1000 + p.Number, "iid": p.Number, "web_url": s.webURL(p.Number), "title": p.Title, "description": p.Body,
		"state": state, "source_branch": p.Head, "target_branch": p.Base, "source_project_id": src, "target_project_id": 7, "labels": p.Labels}
}

func (s *Server) serveGitLab(w http.ResponseWriter, r *http.Request, rest string, body map[string]any) {
	// The project is one URL-encoded path segment: /projects/group%2Fsub%2Fproject/...
	prefix := "/projects/" + url.PathEscape(s.Project) + "/"
	if !strings.HasPrefix(rest, prefix) {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Project Not Found"})
		return
	}
	sub := strings.TrimPrefix(rest, prefix)
	switch {
	case sub == "merge_requests" && r.Method == http.MethodGet:
		if s.failed(w, "list") {
			return
		}
		q := r.URL.Query()
		var out []map[string]any
		for _, p := range s.prs {
			if q.Get("state") == "opened" && p.State != "open" {
				continue
			}
			if v := q.Get("source_branch"); v != "" && v != p.Head {
				continue
			}
			if v := q.Get("target_branch"); v != "" && v != p.Base {
				continue
			}
			out = append(out, s.glMR(p))
		}
		writeJSON(w, http.StatusOK, page(s, w, r, out))
	case sub == "merge_requests" && r.Method == http.MethodPost:
		if s.failed(w, "create") {
			return
		}
		head, base := str(body, "source_branch"), str(body, "target_branch")
		for _, p := range s.prs {
			if p.State == "open" && p.Head == head && p.Base == base {
				writeJSON(w, http.StatusConflict, map[string]any{"message": []string{fmt.Sprintf("Another open merge request already exists for this source branch: !%d", p.Number)}})
				return
			}
		}
		if !s.branchExists(head) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": []string{"Source branch \"" + head + "\" does not exist"}})
			return
		}
		p := &PR{Number: int64(len(s.prs) + 1), Head: head, Base: base, Title: str(body, "title"), Body: str(body, "description"), State: "open", HeadRepo: s.Project}
		if l := str(body, "labels"); l != "" {
			p.Labels = strings.Split(l, ",")
		}
		s.prs = append(s.prs, p)
		writeJSON(w, http.StatusCreated, s.glMR(p))
	case strings.HasPrefix(sub, "merge_requests/") && strings.HasSuffix(sub, "/notes") && r.Method == http.MethodPost:
		s.comment(w, strings.TrimSuffix(strings.TrimPrefix(sub, "merge_requests/"), "/notes"), str(body, "body"))
	case strings.HasPrefix(sub, "merge_requests/") && r.Method == http.MethodPut:
		s.closeRequest(w, strings.TrimPrefix(sub, "merge_requests/"), str(body, "state_event") == "close", http.StatusOK, s.glMR)
	case strings.HasPrefix(sub, "repository/branches/") && r.Method == http.MethodDelete:
		if s.failed(w, "delete") {
			return
		}
		b, _ := url.PathUnescape(strings.TrimPrefix(sub, "repository/branches/"))
		s.deleteBranch(w, b, http.StatusNotFound, map[string]any{"message": "404 Branch Not Found"})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "404 Not Found"})
	}
}

func (s *Server) gtPR(p *PR) map[string]any {
	m := s.ghPR(p)
	m["merged"] = p.State == "merged"
	var labels []map[string]any
	for _, l := range p.Labels {
		labels = append(labels, map[string]any{"id": s.Labels[l], "name": l})
	}
	m["labels"] = labels
	return m
}

func (s *Server) serveGitea(w http.ResponseWriter, r *http.Request, rest string, body map[string]any) {
	sub, ok := s.splitRepo(w, rest)
	if !ok {
		return
	}
	switch {
	case sub == "pulls" && r.Method == http.MethodGet:
		if s.failed(w, "list") {
			return
		}
		q := r.URL.Query()
		var out []map[string]any
		for _, p := range s.prs {
			if q.Get("state") == "open" && p.State != "open" {
				continue
			}
			out = append(out, s.gtPR(p))
		}
		writeJSON(w, http.StatusOK, page(s, w, r, out))
	case sub == "pulls" && r.Method == http.MethodPost:
		if s.failed(w, "create") {
			return
		}
		head, base := str(body, "head"), str(body, "base")
		for _, p := range s.prs {
			if p.State == "open" && p.Head == head && p.Base == base {
				writeJSON(w, http.StatusConflict, map[string]any{"message": "pull request already exists for these targets"})
				return
			}
		}
		if !s.branchExists(head) {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "The target couldn't be found."})
			return
		}
		p := &PR{Number: int64(len(s.prs) + 1), Head: head, Base: base, Title: str(body, "title"), Body: str(body, "body"), State: "open", HeadRepo: s.Project}
		if ids, ok := body["labels"].([]any); ok {
			for _, id := range ids {
				for name, lid := range s.Labels {
					if float64(lid) == id.(float64) {
						p.Labels = append(p.Labels, name)
					}
				}
			}
		}
		s.prs = append(s.prs, p)
		writeJSON(w, http.StatusCreated, s.gtPR(p))
	case strings.HasPrefix(sub, "pulls/") && r.Method == http.MethodPatch:
		s.closeRequest(w, strings.TrimPrefix(sub, "pulls/"), str(body, "state") == "closed", http.StatusCreated, s.gtPR)
	case strings.HasPrefix(sub, "issues/") && strings.HasSuffix(sub, "/comments") && r.Method == http.MethodPost:
		s.comment(w, strings.TrimSuffix(strings.TrimPrefix(sub, "issues/"), "/comments"), str(body, "body"))
	case sub == "labels" && r.Method == http.MethodGet:
		if s.failed(w, "labels") {
			return
		}
		var out []map[string]any
		for name, id := range s.Labels {
			out = append(out, map[string]any{"id": id, "name": name})
		}
		sort.Slice(out, func(i, j int) bool { return out[i]["id"].(int64) < out[j]["id"].(int64) })
		writeJSON(w, http.StatusOK, page(s, w, r, out))
	case strings.HasPrefix(sub, "branches/") && r.Method == http.MethodDelete:
		if s.failed(w, "delete") {
			return
		}
		b, _ := url.PathUnescape(strings.TrimPrefix(sub, "branches/"))
		s.deleteBranch(w, b, http.StatusNotFound, map[string]any{"message": "branch does not exist"})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
	}
}
