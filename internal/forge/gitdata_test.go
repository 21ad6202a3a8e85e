package forge

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v89/github"

	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
	"github.com/imagepilot/imagepilot/internal/git"
)

func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(cmd.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@e")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// committerFixture: a bare repository with main (a.yaml, dir/b.yaml) behind
// the fake GitHub, and a committer for it.
func committerFixture(t *testing.T) (*forgetest.Server, *GitHubCommitter, string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	work, bare := filepath.Join(root, "work"), filepath.Join(root, "bare.git")
	gitT(t, root, "init", "-q", "-b", "main", work)
	gitT(t, work, "config", "core.symlinks", "true")
	for _, f := range [][2]string{{"a.yaml", "a: 1\n"}, {"dir/b.yaml", "b: 1\n"}} {
		if out, err := exec.Command("sh", "-c", "mkdir -p "+filepath.Join(work, "dir")+" && printf '%s' \""+f[1]+"\" > "+filepath.Join(work, f[0])).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}
	gitT(t, work, "add", "--all")
	gitT(t, work, "commit", "-q", "-m", "seed")
	gitT(t, root, "clone", "-q", "--bare", work, bare)
	srv := forgetest.New(t, forgetest.GitHub, "team/app", "ghs_secret_token")
	srv.BareRepo = bare
	c, err := NewGitHubCommitter(Config{RepoURL: srv.URL + "/team/app.git", Token: "ghs_secret_token"})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, bare, gitT(t, bare, "rev-parse", "main")
}

// TestGitHubCommitterPublish: the commit holds exactly the published
// changes (modified, added in a new directory, executable, symbolic link,
// deleted) on the parent's tree, with the message, and the branch moves.
func TestGitHubCommitterPublish(t *testing.T) {
	srv, c, bare, main := committerFixture(t)
	sha, err := c.Publish(context.Background(), git.Publication{Branch: "main", Parent: main, Lease: main, Message: "update images\n",
		Files: []git.FileChange{
			{Path: "a.yaml", Mode: "100644", Content: []byte("a: 2\n")},
			{Path: "dir/b.yaml", Deleted: true},
			{Path: "new/deep/c.bin", Mode: "100644", Content: []byte{0, 1, 2, 0xff}},
			{Path: "run.sh", Mode: "100755", Content: []byte("#!/bin/sh\n")},
			{Path: "link", Mode: "120000", Content: []byte("a.yaml")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if gitT(t, bare, "rev-parse", "main") != sha || !srv.Verified(sha) {
		t.Fatalf("main not moved to the verified commit %s", sha)
	}
	if got := gitT(t, bare, "ls-tree", "-r", "--format=%(objectmode) %(path)", sha); got != "100644 a.yaml\n120000 link\n100644 new/deep/c.bin\n100755 run.sh" {
		t.Fatalf("tree:\n%s", got)
	}
	if gitT(t, bare, "show", sha+":a.yaml") != "a: 2" || gitT(t, bare, "cat-file", "-s", sha+":new/deep/c.bin") != "4" {
		t.Fatal("content differs")
	}
	if gitT(t, bare, "rev-parse", sha+"^") != main || gitT(t, bare, "show", "-s", "--format=%B", sha) != "update images" {
		t.Fatal("parent or message differs")
	}
}

// TestGitHubCommitterRefs: each way a branch is moved, and GitHub's
// answers when it moved meanwhile (wrapping git.ErrNotFastForward, so
// the write-back retries).
func TestGitHubCommitterRefs(t *testing.T) {
	files := []git.FileChange{{Path: "a.yaml", Mode: "100644", Content: []byte("a: 3\n")}}
	tests := []struct {
		name  string
		setup func(t *testing.T, bare, main string) git.Publication
		ffErr bool
		moved string // the branch that must hold the commit
	}{
		{"fast-forward", func(_ *testing.T, _, main string) git.Publication {
			return git.Publication{Branch: "main", Parent: main, Lease: main}
		}, false, "main"},
		{"not a fast-forward", func(t *testing.T, bare, main string) git.Publication {
			gitT(t, bare, "update-ref", "refs/heads/main", gitT(t, bare, "commit-tree", "-p", main, "-m", "theirs", main+"^{tree}"))
			return git.Publication{Branch: "main", Parent: main, Lease: main}
		}, true, ""},
		{"new branch", func(_ *testing.T, _, main string) git.Publication {
			return git.Publication{Branch: "auto/web", Parent: main, Force: true}
		}, false, "auto/web"},
		{"new branch created meanwhile", func(t *testing.T, bare, main string) git.Publication {
			gitT(t, bare, "update-ref", "refs/heads/auto/web", main)
			return git.Publication{Branch: "auto/web", Parent: main, Force: true}
		}, true, ""},
		{"forced with the lease", func(t *testing.T, bare, main string) git.Publication {
			old := gitT(t, bare, "commit-tree", "-m", "old write branch", main+"^{tree}")
			gitT(t, bare, "update-ref", "refs/heads/auto/web", old)
			return git.Publication{Branch: "auto/web", Parent: main, Lease: old, Force: true}
		}, false, "auto/web"},
		{"forced, lease broken", func(t *testing.T, bare, main string) git.Publication {
			old := gitT(t, bare, "commit-tree", "-m", "old", main+"^{tree}")
			gitT(t, bare, "update-ref", "refs/heads/auto/web", old)
			return git.Publication{Branch: "auto/web", Parent: main, Lease: main, Force: true}
		}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, bare, main := committerFixture(t)
			p := tt.setup(t, bare, main)
			p.Message, p.Files = "m", files
			sha, err := c.Publish(context.Background(), p)
			if tt.ffErr != errors.Is(err, git.ErrNotFastForward) {
				t.Fatalf("err = %v, want not-fast-forward %v", err, tt.ffErr)
			}
			if !tt.ffErr && (err != nil || gitT(t, bare, "rev-parse", tt.moved) != sha) {
				t.Fatalf("err %v; %s not at %s", err, tt.moved, sha)
			}
		})
	}
}

// TestGitHubCommitterFailures: API failures are forge errors without the
// token; modes the API cannot write and empty changes are refused before
// any call.
func TestGitHubCommitterFailures(t *testing.T) {
	srv, c, _, main := committerFixture(t)
	ok := []git.FileChange{{Path: "a.yaml", Mode: "100644", Content: []byte("x")}}
	if _, err := c.Publish(context.Background(), git.Publication{Branch: "main", Parent: main, Lease: main, Message: "m"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no files: %v", err)
	}
	if _, err := c.Publish(context.Background(), git.Publication{Branch: "main", Parent: main, Lease: main, Message: "m",
		Files: []git.FileChange{{Path: "sub", Mode: "160000"}}}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "160000") {
		t.Fatalf("submodule: %v", err)
	}
	if _, err := c.Publish(context.Background(), git.Publication{Branch: "main", Parent: strings.Repeat("0", 40), Lease: main, Message: "m", Files: ok}); err == nil {
		t.Fatal("unknown parent accepted")
	}
	srv.Fail("gitdata", http.StatusInternalServerError)
	_, err := c.Publish(context.Background(), git.Publication{Branch: "main", Parent: main, Lease: main, Message: "m", Files: ok})
	var fe *Error
	if !errors.As(err, &fe) || fe.StatusCode != 500 || strings.Contains(err.Error(), "ghs_secret_token") || errors.Is(err, git.ErrNotFastForward) {
		t.Fatalf("server error: %v", err)
	}
	bad, _ := NewGitHubCommitter(Config{RepoURL: srv.URL + "/team/app.git", Token: "wrong"})
	srv.Fail("gitdata", 0)
	if _, err := bad.Publish(context.Background(), git.Publication{Branch: "main", Parent: main, Lease: main, Message: "m", Files: ok}); !errors.As(err, &fe) || fe.StatusCode != 401 {
		t.Fatalf("bad token: %v", err)
	}
	if _, err := NewGitHubCommitter(Config{RepoURL: srv.URL + "/team/app.git"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no token: %v", err)
	}
	if _, err := NewGitHubCommitter(Config{RepoURL: "/local/path", Token: "t"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("local path: %v", err)
	}
}

func TestIsNotFastForward(t *testing.T) {
	resp := func(code int) *github.Response { return &github.Response{Response: &http.Response{StatusCode: code}} }
	er := func(code int, msg string) error {
		return &github.ErrorResponse{Response: &http.Response{StatusCode: code}, Message: msg}
	}
	tests := []struct {
		name string
		resp *github.Response
		err  error
		want bool
	}{
		{"GitHub's answer", resp(422), er(422, "Update is not a fast forward"), true},
		{"other 422", resp(422), er(422, "Reference does not exist"), false},
		{"409", resp(409), er(409, "Update is not a fast forward"), false},
		{"no response", nil, errors.New("not a fast forward"), false},
		{"plain error", resp(422), errors.New("not a fast forward"), false},
	}
	for _, tt := range tests {
		if got := IsNotFastForward(tt.resp, tt.err); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}
