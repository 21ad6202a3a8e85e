package gitint

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

func writeHook(t *testing.T, bare, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(bare, "hooks", name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestPushRefusedByHookIsAnError: a pre-receive hook that declines makes
// the push an error, never "pushed".
func TestPushRefusedByHookIsAnError(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "tag: v1\n"})
	before := infra.GitRun(t, bare, "rev-parse", "main")
	writeHook(t, bare, "pre-receive", "echo policy says no >&2\nexit 1\n")
	m, _ := newManager(t)
	res, err := cycle(t, m, srv.RepoURL("app.git"), git.Credentials{}, setKey("values.yaml", "tag", "v2"))
	if err == nil || res.Pushed {
		t.Fatalf("cycle = %+v, %v; want an error and nothing pushed", res, err)
	}
	if !strings.Contains(err.Error(), "pre-receive hook declined") {
		t.Fatalf("error does not say why: %v", err)
	}
	if got := infra.GitRun(t, bare, "rev-parse", "main"); got != before {
		t.Fatalf("remote moved to %s", got)
	}
}

// TestPushTheRemoteDropsIsNotReported: the server answers "ok" but a hook
// puts the branch back. git itself reports success; the package must not.
func TestPushTheRemoteDropsIsNotReported(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "tag: v1\n"})
	before := infra.GitRun(t, bare, "rev-parse", "main")
	writeHook(t, bare, "post-receive", "while read old new ref; do git update-ref \"$ref\" \"$old\"; done\n")
	m, _ := newManager(t)
	res, err := cycle(t, m, srv.RepoURL("app.git"), git.Credentials{}, setKey("values.yaml", "tag", "v2"))
	if !errors.Is(err, git.ErrPushNotConfirmed) || res.Pushed {
		t.Fatalf("cycle = %+v, %v; want ErrPushNotConfirmed and nothing pushed", res, err)
	}
	if got := infra.GitRun(t, bare, "rev-parse", "main"); got != before {
		t.Fatalf("remote main = %s, want unchanged %s", got, before)
	}
	if !strings.Contains(err.Error(), before) {
		t.Fatalf("error does not name the remote head: %v", err)
	}
}

// TestPasswordInURLNeverInErrorsOrLogs: failed clone, fetch and push with
// https://user:PW@ URLs; neither the errors nor the debug log carry PW.
func TestPasswordInURLNeverInErrorsOrLogs(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "tag: v1\n"})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	withPW := func(pw, repo string) string {
		return strings.Replace(srv.RepoURL(repo), "http://", "http://"+httpUser+":"+pw+"@", 1)
	}
	const wrong = "wr0ng-pass-W0RD"
	var errs []error

	m, rec := newManager(t, git.WithLogger(logger))
	_, err := m.Open(context.Background(), withPW(wrong, "app.git"), git.Credentials{})
	errs = append(errs, err) // clone refused: wrong password
	_, err = m.Open(context.Background(), withPW(httpPassword, "missing.git"), git.Credentials{})
	errs = append(errs, err) // clone: no such repository

	r, err := m.Open(context.Background(), withPW(httpPassword, "app.git"), git.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	writeHook(t, bare, "pre-receive", "echo \"refusing $GIT_DIR\" >&2\nexit 1\n")
	_, err = r.CommitAndPush(context.Background(), git.CommitRequest{Branch: "main", Message: "m", Apply: setKey("values.yaml", "tag", "v2")})
	errs = append(errs, err) // push refused
	errs = append(errs, r.Checkout(context.Background(), "no-such-branch"))
	r.Close()
	if err := os.RemoveAll(bare); err != nil {
		t.Fatal(err)
	}
	r, err = m.Open(context.Background(), withPW(httpPassword, "app.git"), git.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, r.Checkout(context.Background(), "main")) // fetch: repository gone
	r.Close()
	_, err = m.Open(context.Background(), withPW(httpPassword, "app.git")+"\n", git.Credentials{})
	errs = append(errs, err) // invalid URL

	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d did not fail", i)
		}
		for _, pw := range []string{httpPassword, wrong} {
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("case %d: error leaks the password: %v", i, err)
			}
		}
	}
	for _, pw := range []string{httpPassword, wrong} {
		if strings.Contains(logs.String(), pw) {
			t.Fatalf("log leaks the password:\n%s", logs.String())
		}
	}
	rec.assertNoSecret(t, httpPassword, wrong)
}
