package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCommitRequestValidate(t *testing.T) {
	apply := func(string) (bool, error) { return false, nil }
	tests := []struct {
		name string
		req  CommitRequest
		ok   bool
	}{
		{"complete", CommitRequest{Branch: "main", Message: "m", Apply: apply}, true},
		{"message from a function", CommitRequest{Branch: "main", MessageFunc: func() (string, error) { return "m", nil }, Apply: apply}, true},
		{"with a base", CommitRequest{Branch: "imagepilot/x", Base: "main", Message: "m", Apply: apply}, true},
		{"branch that is an option", CommitRequest{Branch: "--delete", Message: "m", Apply: apply}, false},
		{"base that is an option", CommitRequest{Branch: "x", Base: "-f", Message: "m", Apply: apply}, false},
		{"no Apply", CommitRequest{Branch: "main", Message: "m"}, false},
		{"blank message", CommitRequest{Branch: "main", Message: " \n\t", Apply: apply}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.validate()
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidArgument)) {
				t.Errorf("validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestCommitRequestMessage(t *testing.T) {
	boom := errors.New("template failed")
	tests := []struct {
		name    string
		req     CommitRequest
		want    string
		wantErr error
	}{
		{"static message", CommitRequest{Message: "static"}, "static", nil},
		{"function replaces the message", CommitRequest{Message: "static", MessageFunc: func() (string, error) { return "rendered", nil }}, "rendered", nil},
		{"function error", CommitRequest{MessageFunc: func() (string, error) { return "", boom }}, "", boom},
		{"function renders nothing", CommitRequest{MessageFunc: func() (string, error) { return "  \n", nil }}, "", ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.message()
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("message() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// installHook makes an executable hook in the bare repository.
func installHook(t *testing.T, bare, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(bare, "hooks", name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// The decision after a failed push: a moved branch is re-derived and
// retried, every other failure stops at once.
func TestCommitAndPushFailures(t *testing.T) {
	applyErr := errors.New("render failed")
	tests := []struct {
		name         string
		hook         string // pre-receive hook of the remote
		req          CommitRequest
		wantErr      error
		wantText     string
		wantAttempts int
	}{
		{name: "Apply error stops before committing", req: CommitRequest{Branch: "main", Message: "m",
			Apply: func(string) (bool, error) { return false, applyErr }}, wantErr: applyErr, wantText: "apply changes", wantAttempts: 1},
		{name: "missing branch without a base", req: CommitRequest{Branch: "nope", Message: "m", Apply: setLine("values.yaml", "tag", "v2")},
			wantErr: ErrBranchNotFound, wantAttempts: 1},
		{name: "missing base", req: CommitRequest{Branch: "nope", Base: "gone", Message: "m", Apply: setLine("values.yaml", "tag", "v2")},
			wantErr: ErrBranchNotFound, wantAttempts: 1},
		{name: "hook refusal is not retried", hook: "echo 'policy: no robots' >&2; exit 1",
			req:      CommitRequest{Branch: "main", Message: "m", Apply: setLine("values.yaml", "tag", "v2")},
			wantText: "pre-receive hook declined", wantAttempts: 1},
		{name: "message function failure", req: CommitRequest{Branch: "main", Apply: setLine("values.yaml", "tag", "v2"),
			MessageFunc: func() (string, error) { return "", applyErr }}, wantErr: applyErr, wantText: "commit message", wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
			before := testGit(t, bare, "rev-parse", "main")
			if tt.hook != "" {
				installHook(t, bare, "pre-receive", tt.hook)
			}
			m := newTestManager(t)
			r := openRepo(t, m, bare, Credentials{})
			res, err := r.CommitAndPush(context.Background(), tt.req)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.wantErr, tt.wantText)
			}
			if errors.Is(err, ErrPushRejected) || res.Pushed || res.Attempts != tt.wantAttempts {
				t.Errorf("result %+v, %v; want %d attempt(s), not pushed, not a rejection", res, err, tt.wantAttempts)
			}
			if after := testGit(t, bare, "rev-parse", "main"); after != before {
				t.Errorf("remote main moved to %s", after)
			}
			if st := m.Stats(); st.PushRejections != 0 {
				t.Errorf("stats %+v count a rejection", st)
			}
		})
	}
}

func TestCommitAndPushCreatesBranchFromBase(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	ctx := context.Background()
	req := CommitRequest{Branch: "imagepilot/update", Base: "main", Message: "update", Apply: setLine("values.yaml", "tag", "v2")}
	res, err := r.CommitAndPush(ctx, req)
	if err != nil || !res.Pushed {
		t.Fatalf("first push = %+v, %v", res, err)
	}
	if got := testGit(t, bare, "rev-parse", "imagepilot/update^"); got != testGit(t, bare, "rev-parse", "main") {
		t.Errorf("new branch's parent %s is not main", got)
	}
	// Without AllowForce the existing branch is continued, not rebuilt.
	req.Apply = setLine("values.yaml", "tag", "v3")
	if _, err := r.CommitAndPush(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got := testGit(t, bare, "rev-list", "--count", "main..imagepilot/update"); got != "2" {
		t.Errorf("branch has %s commits over main, want 2 (continued)", got)
	}
}

// MessageFunc is rendered after each Apply, so the commit describes what
// the last run changed.
func TestCommitMessageRenderedPerAttempt(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	applies := 0
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main",
		Apply: func(dir string) (bool, error) {
			applies++
			if applies == 1 {
				humanPush(t, bare, "main", map[string]string{"other.txt": "x\n"})
			}
			return setLine("values.yaml", "tag", "v2")(dir)
		},
		MessageFunc: func() (string, error) { return fmt.Sprintf("update (run %d)", applies), nil }})
	if err != nil || res.Attempts != 2 {
		t.Fatalf("CommitAndPush = %+v, %v", res, err)
	}
	if got := testGit(t, bare, "log", "-1", "--format=%s", "main"); got != "update (run 2)" {
		t.Errorf("commit message %q, want the second rendering", got)
	}
}

// wrapGit returns a git stand-in that fakes "push" with the given output
// and exit code, and runs the real git otherwise.
func wrapGit(t *testing.T, pushOut string, code int) string {
	t.Helper()
	real, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	return fakeGit(t, fmt.Sprintf(`for a in "$@"; do
  if [ "$a" = push ]; then printf '%%s' '%s'; exit %d; fi
done
exec %s "$@"`, pushOut, code, real))
}

func TestPushNotConfirmed(t *testing.T) {
	tests := []struct {
		name     string
		out      string
		wantText string
	}{
		{"git says ok but the remote did not move", "To remote\n \tHEAD:refs/heads/main\tabc..def\nDone\n", "remote branch is"},
		{"porcelain does not mention the branch", "To remote\nDone\n", "git reported no update"},
		{"porcelain says rejected with exit 0", "To remote\n!\tHEAD:refs/heads/main\t[rejected] (hook)\nDone\n", "git reported no update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
			m := newTestManager(t, WithGitBinary(wrapGit(t, tt.out, 0)))
			r := openRepo(t, m, bare, Credentials{})
			res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m", Apply: setLine("values.yaml", "tag", "v2")})
			if !errors.Is(err, ErrPushNotConfirmed) || !strings.Contains(err.Error(), tt.wantText) || res.Pushed {
				t.Fatalf("CommitAndPush = %+v, %v; want ErrPushNotConfirmed (%s)", res, err, tt.wantText)
			}
		})
	}
}

// A push the remote took counts even when someone pushed on top of it
// before the confirmation looked.
func TestPushConfirmedUnderANewerCommit(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	installHook(t, bare, "post-receive", `read old new ref
tree=$(git rev-parse "$new^{tree}")
top=$(echo on-top | GIT_AUTHOR_NAME=h GIT_AUTHOR_EMAIL=h@x GIT_COMMITTER_NAME=h GIT_COMMITTER_EMAIL=h@x git commit-tree "$tree" -p "$new")
git update-ref "$ref" "$top"`)
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "ours", Apply: setLine("values.yaml", "tag", "v2")})
	if err != nil || !res.Pushed {
		t.Fatalf("CommitAndPush = %+v, %v", res, err)
	}
	if got := testGit(t, bare, "log", "-1", "--format=%s", "main^"); got != "ours" {
		t.Fatalf("remote main^ is %q, want our commit under the newer one", got)
	}
	if head := testGit(t, bare, "rev-parse", "main"); head == res.Commit {
		t.Fatal("the post-receive hook did not add a commit; the test shows nothing")
	}
}

// Commits run without the working copy's hooks and with the request's
// author over the Manager's.
func TestCommitIgnoresHooksAndUsesRequestAuthor(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t, WithAuthor("Pilot", "pilot@example.com"))
	r := openRepo(t, m, bare, Credentials{})
	for _, hook := range []string{"pre-commit", "commit-msg", "prepare-commit-msg"} {
		path := filepath.Join(r.Dir(), ".git", "hooks", hook)
		if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m",
		Author: Signature{Name: "Release Bot", Email: "bot@example.com"}, Apply: setLine("values.yaml", "tag", "v2")})
	if err != nil || !res.Pushed {
		t.Fatalf("CommitAndPush = %+v, %v", res, err)
	}
	if got := testGit(t, bare, "log", "-1", "--format=%an <%ae> / %cn <%ce>", "main"); got != "Release Bot <bot@example.com> / Release Bot <bot@example.com>" {
		t.Errorf("author/committer %q", got)
	}
	// A request author missing its email falls back to the Manager's.
	res, err = r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "m",
		Author: Signature{Name: "No Email"}, Apply: setLine("values.yaml", "tag", "v3")})
	if err != nil || !res.Pushed {
		t.Fatal(err)
	}
	if got := testGit(t, bare, "log", "-1", "--format=%an <%ae>", "main"); got != "Pilot <pilot@example.com>" {
		t.Errorf("author %q, want the Manager's", got)
	}
}

// OpenPGP signing reaches the configured program with the key and
// GNUPGHOME, and the signature lands in the commit.
func TestCommitSignsWithOpenPGPProgram(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "record")
	gpg := filepath.Join(dir, "gpg")
	script := `#!/bin/sh
echo "args=$* home=$GNUPGHOME" > ` + record + `
cat > /dev/null
echo '[GNUPG:] SIG_CREATED D 1 8 00 1700000000 ABCD' >&2
printf -- '-----BEGIN PGP SIGNATURE-----\n\nZmFrZQ==\n-----END PGP SIGNATURE-----\n'
`
	if err := os.WriteFile(gpg, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	bare := newBareRepo(t, map[string]string{"values.yaml": "tag: v1\n"})
	m := newTestManager(t, WithSigning(&SigningConfig{Format: SigningOpenPGP, KeyID: "ABCD1234", Program: gpg, GPGHome: "/keys/home"}))
	r := openRepo(t, m, bare, Credentials{})
	res, err := r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "signed", Apply: setLine("values.yaml", "tag", "v2")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(record)
	if !strings.Contains(string(got), "ABCD1234") || !strings.Contains(string(got), "home=/keys/home") {
		t.Errorf("signing program saw %q", got)
	}
	if raw := testGit(t, bare, "cat-file", "commit", res.Commit); !strings.Contains(raw, "gpgsig -----BEGIN PGP SIGNATURE-----") {
		t.Errorf("commit not signed:\n%s", raw)
	}
	// A Manager without signing makes unsigned commits (commit.gpgSign=false).
	plain := newTestManager(t)
	r2 := openRepo(t, plain, bare, Credentials{})
	res2, err := r2.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: "unsigned", Apply: setLine("values.yaml", "tag", "v3")})
	if err != nil {
		t.Fatal(err)
	}
	if raw := testGit(t, bare, "cat-file", "commit", res2.Commit); strings.Contains(raw, "gpgsig") {
		t.Errorf("commit of a Manager without signing is signed:\n%s", raw)
	}
}

func TestRetryBackoffHonoursContext(t *testing.T) {
	m := newTestManager(t, WithRetryBackoff(time.Hour))
	r := &Repo{m: m}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := r.backoff(ctx, 1); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("backoff = %v after %s, want the cancellation at once", err, time.Since(start))
	}
	fast := &Repo{m: newTestManager(t, WithRetryBackoff(20*time.Millisecond))}
	start = time.Now()
	if err := fast.backoff(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Errorf("second backoff took %s, want 40-60ms (doubled, jittered)", d)
	}
	none := &Repo{m: newTestManager(t, WithRetryBackoff(0))}
	if err := none.backoff(context.Background(), 5); err != nil {
		t.Fatal(err)
	}
}

// Concurrent CommitAndPush on two Managers sharing a remote (two
// controllers): both changes land, neither overwrites the other.
func TestConcurrentWritersBothLand(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.yaml": "tag: v1\n", "b.yaml": "tag: v1\n"})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, file := range []string{"a.yaml", "b.yaml"} {
		m := newTestManager(t, WithPushAttempts(10))
		wg.Go(func() {
			r, err := m.Open(context.Background(), bare, Credentials{})
			if err != nil {
				errs[i] = err
				return
			}
			defer r.Close()
			_, errs[i] = r.CommitAndPush(context.Background(), CommitRequest{Branch: "main", Message: file, Apply: setLine(file, "tag", "v2")})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range []string{"a.yaml", "b.yaml"} {
		if got := testGit(t, bare, "show", "main:"+file); got != "tag: v2" {
			t.Errorf("%s = %q, want tag: v2", file, got)
		}
	}
}
