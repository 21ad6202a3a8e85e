package forgetest

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bareRepo makes a bare repository with main and feature (one commit
// ahead of main) and returns it.
func bareRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	work, bare := filepath.Join(dir, "work"), filepath.Join(dir, "bare.git")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	run("init", "-q", "-b", "main", work)
	run("-C", work, "commit", "-q", "--allow-empty", "-m", "base")
	run("-C", work, "checkout", "-q", "-b", "feature")
	run("-C", work, "commit", "-q", "--allow-empty", "-m", "change")
	run("clone", "-q", "--bare", work, bare)
	return bare
}

func revParse(t *testing.T, repo, ref string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", repo, "rev-parse", "--verify", "--quiet", ref).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// TestBareRepo: with a repository behind the fake, a head branch must
// exist to open a request (each forge's own refusal), deleting a branch
// deletes the ref (a missing one answers each forge's "not there"), and
// Merge moves the base to the head.
func TestBareRepo(t *testing.T) {
	tests := []struct {
		kind                       string
		missingHead                map[string]any
		missingStatus              int
		missingText                string
		deletePath                 func(string) string
		deleteMissing, mergeNumber int
	}{
		{GitHub, map[string]any{"head": "nope", "base": "main", "title": "t"}, 422, `"field":"head"`,
			func(b string) string { return "/api/v3/repos/team/app/git/refs/heads/" + b }, 422, 1},
		{GitLab, map[string]any{"source_branch": "nope", "target_branch": "main", "title": "t"}, 422, `Source branch \"nope\" does not exist`,
			func(b string) string { return "/api/v4/projects/team%2Fapp/repository/branches/" + b }, 404, 1},
		{Gitea, map[string]any{"head": "nope", "base": "main", "title": "t"}, 404, `The target couldn't be found.`,
			func(b string) string { return "/api/v1/repos/team/app/branches/" + b }, 404, 1},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s := New(t, tt.kind, "team/app", "tok")
			s.BareRepo = bareRepo(t)
			auth := authFor(tt.kind, "tok")
			status, _, body := call(t, s, http.MethodPost, pullsPath(tt.kind, "team/app"), auth, tt.missingHead)
			if status != tt.missingStatus || !strings.Contains(jsonText(body), tt.missingText) {
				t.Fatalf("missing head: HTTP %d %s", status, jsonText(body))
			}
			ok := map[string]any{"head": "feature", "base": "main", "title": "t"}
			if tt.kind == GitLab {
				ok = map[string]any{"source_branch": "feature", "target_branch": "main", "title": "t"}
			}
			if status, _, body := call(t, s, http.MethodPost, pullsPath(tt.kind, "team/app"), auth, ok); status != 201 {
				t.Fatalf("existing head: HTTP %d %s", status, jsonText(body))
			}
			head := revParse(t, s.BareRepo, "refs/heads/feature")
			s.Merge(1)
			if got := revParse(t, s.BareRepo, "refs/heads/main"); got != head || s.PRs()[0].State != "merged" || len(s.Open()) != 0 {
				t.Fatalf("after merge main is %s (want %s), state %s", got, head, s.PRs()[0].State)
			}
			if status, _, _ := call(t, s, http.MethodDelete, tt.deletePath("feature"), auth, nil); status != 204 || revParse(t, s.BareRepo, "refs/heads/feature") != "" {
				t.Fatalf("delete: HTTP %d, ref %q", status, revParse(t, s.BareRepo, "refs/heads/feature"))
			}
			if status, _, _ := call(t, s, http.MethodDelete, tt.deletePath("feature"), auth, nil); status != tt.deleteMissing {
				t.Fatalf("deleting again: HTTP %d, want %d", status, tt.deleteMissing)
			}
			if d := s.Deleted(); fmt.Sprint(d) != "[feature]" {
				t.Fatalf("deleted %v", d)
			}
		})
	}
}

// fatalTB turns Fatalf into a panic that fatalMessage recovers, to check
// the fake's own refusals (a real Fatalf ends the goroutine the same way).
type fatalTB struct{ testing.TB }

type fatalPanic string

func (fatalTB) Helper() {}

func (fatalTB) Fatalf(format string, args ...any) { panic(fatalPanic(fmt.Sprintf(format, args...))) }

func fatalMessage(f func()) (msg string) {
	defer func() {
		if r, ok := recover().(fatalPanic); ok {
			msg = string(r)
		}
	}()
	f()
	return ""
}

func TestMisuseFails(t *testing.T) {
	tb := fatalTB{TB: t}
	if msg := fatalMessage(func() { NewHandler(tb, "bitbucket", "team/app", "tok") }); !strings.Contains(msg, `unknown kind "bitbucket"`) {
		t.Fatalf("unknown kind: %q", msg)
	}
	s := NewHandler(tb, GitHub, "team/app", "tok")
	n := s.Add(PR{Head: "h", Base: "main", State: "closed"})
	for _, num := range []int64{n, 99} {
		if msg := fatalMessage(func() { s.Merge(num) }); msg != fmt.Sprintf("forgetest: no open pull request #%d", num) {
			t.Fatalf("merging #%d: %q", num, msg)
		}
	}
	if s.PRs()[0].State != "closed" {
		t.Fatal("a closed request was merged")
	}
}

func TestAccessors(t *testing.T) {
	s := NewHandler(t, GitLab, "group/sub/app", "tok")
	if s.Prefix != "/api/v4" || s.PageSize != 2 {
		t.Fatalf("defaults: prefix %q page size %d", s.Prefix, s.PageSize)
	}
	n1 := s.Add(PR{Head: "a", Base: "main", Labels: []string{"x"}, Comments: []string{"c"}})
	n2 := s.Add(PR{Head: "b", Base: "main", State: "closed", HeadRepo: "fork/app"})
	if n1 != 1 || n2 != 2 {
		t.Fatalf("numbers %d %d", n1, n2)
	}
	prs := s.PRs()
	if prs[0].State != "open" || prs[0].HeadRepo != "group/sub/app" || prs[1].HeadRepo != "fork/app" {
		t.Fatalf("defaults not applied: %+v", prs)
	}
	prs[0].Labels[0], prs[0].Comments[0], prs[0].Title = "changed", "changed", "changed"
	if again := s.PRs()[0]; again.Labels[0] != "x" || again.Comments[0] != "c" || again.Title != "" {
		t.Fatalf("PRs() shares memory with the fake: %+v", again)
	}
	if open := s.Open(); len(open) != 1 || open[0].Number != 1 {
		t.Fatalf("Open() = %+v", open)
	}
	for _, want := range []struct{ kind, prefix string }{{GitHub, "/api/v3"}, {Gitea, "/api/v1"}} {
		if p := NewHandler(t, want.kind, "o/r", "t").Prefix; p != want.prefix {
			t.Errorf("%s prefix %q", want.kind, p)
		}
	}
}

func TestRequestsRecorded(t *testing.T) {
	s := New(t, GitHub, "team/app", "tok")
	call(t, s, http.MethodGet, "/api/v3/repos/team/app/pulls?state=open&page=2", authFor(GitHub, "tok"), nil)
	call(t, s, http.MethodDelete, "/api/v3/repos/team/app/git/refs/heads/x", authFor(GitHub, "bad"), nil)
	got := s.Requests()
	if strings.Join(got, "\n") != "GET /api/v3/repos/team/app/pulls?state=open&page=2\nDELETE /api/v3/repos/team/app/git/refs/heads/x" {
		t.Fatalf("requests %q (unauthorised ones count too)", got)
	}
}
