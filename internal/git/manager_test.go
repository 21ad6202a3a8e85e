package git

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOptionsRejectNonsense(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
	}{
		{"empty cache dir", WithCacheDir("")},
		{"zero command timeout", WithCommandTimeout(0)},
		{"negative command timeout", WithCommandTimeout(-time.Second)},
		{"nil logger", WithLogger(nil)},
		{"author without email", WithAuthor("Pilot", "")},
		{"author without name", WithAuthor("", "p@example.com")},
		{"bad signing", WithSigning(&SigningConfig{Format: "pgp"})},
		{"negative depth", WithCloneDepth(-1)},
		{"no push attempts", WithPushAttempts(0)},
		{"negative backoff", WithRetryBackoff(-time.Millisecond)},
		{"empty git binary", WithGitBinary("")},
		{"zero lock timeout", WithLockTimeout(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewManager(WithCacheDir(t.TempDir()), tt.opt); err == nil || !strings.Contains(err.Error(), "git manager option") {
				t.Errorf("NewManager accepted it: %v", err)
			}
		})
	}
	m, err := NewManager(WithCacheDir(filepath.Join(t.TempDir(), "a", "b")), WithSigning(nil), WithCommandHook(nil))
	if err != nil {
		t.Fatalf("valid options: %v", err)
	}
	if info, err := os.Stat(m.opts.cacheDir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("cache dir not created private: %v, %v", info, err)
	}
}

func TestWorkDir(t *testing.T) {
	m := newTestManager(t)
	dir := func(u string) string {
		t.Helper()
		d, err := m.WorkDir(u)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	plain := dir("https://git.example.com/org/r.git")
	if filepath.Dir(plain) != m.opts.cacheDir || len(filepath.Base(plain)) != 24 {
		t.Errorf("work dir %s is not a hash under the cache", plain)
	}
	if dir("https://bob:secret@git.example.com/org/r.git") != plain {
		t.Error("credentials in the URL changed the working copy")
	}
	if strings.Contains(plain, "git.example.com") {
		t.Error("the directory name shows the URL")
	}
	for _, other := range []string{"https://git.example.com/org/r2.git", "ssh://git@git.example.com/org/r.git"} {
		if dir(other) == plain {
			t.Errorf("%s shares the working copy of another repository", other)
		}
	}
	if _, err := m.WorkDir("ext::sh -c x"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("WorkDir of a transport helper: %v", err)
	}
}

// askpassGit is a git stand-in that, like git, asks $GIT_ASKPASS for the
// user name and password and records the answers, the URL it was given,
// and the ssh command split as a shell splits it; then it fails.
func askpassGit(t *testing.T, record string) string {
	return fakeGit(t, `{
  echo "args=$*"
  echo "user=$("$GIT_ASKPASS" "Username for 'https://host': ")"
  echo "pass=$("$GIT_ASKPASS" "Password for 'https://host': ")"
  eval "set -- $GIT_SSH_COMMAND"
  for a in "$@"; do echo "ssh=$a"; done
} > `+record+`
echo 'fatal: Authentication failed' >&2
exit 128`)
}

func readRecord(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		out[k] = append(out[k], v)
	}
	return out
}

// Credentials reach git only through askpass and the child's environment;
// URL user information becomes the credentials unless explicit ones are
// given.
func TestCredentialsReachGitThroughAskpass(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		creds    Credentials
		wantUser string
		wantPass string
	}{
		{"from the URL", "https://alice:url-Secret1@git.example.com/r.git", Credentials{}, "alice", "url-Secret1"},
		{"explicit credentials win over the URL", "https://alice:url-Secret1@git.example.com/r.git",
			Credentials{Username: "bob", Password: "explicit-Secret2"}, "bob", "explicit-Secret2"},
		{"token only", "https://git.example.com/r.git", Credentials{Password: "tok-Secret3"}, "", "tok-Secret3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "record")
			var mu sync.Mutex
			var seen []Command
			m := newTestManager(t, WithGitBinary(askpassGit(t, record)),
				WithCommandHook(func(c Command) { mu.Lock(); seen = append(seen, c); mu.Unlock() }))
			_, err := m.Open(context.Background(), tt.url, tt.creds)
			if err == nil {
				t.Fatal("Open with a failing git succeeded")
			}
			for _, s := range []string{"url-Secret1", "explicit-Secret2", "tok-Secret3"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks %s: %v", s, err)
				}
			}
			got := readRecord(t, record)
			if got["user"][0] != tt.wantUser || got["pass"][0] != tt.wantPass {
				t.Errorf("askpass answered %q/%q, want %q/%q", got["user"], got["pass"], tt.wantUser, tt.wantPass)
			}
			if args := got["args"][0]; strings.Contains(args, "@") || !strings.Contains(args, "https://git.example.com/r.git") {
				t.Errorf("git got the URL %q, want it without user information", args)
			}
			for _, c := range seen {
				all := strings.Join(append(append([]string{}, c.Args...), c.Env...), " ")
				if strings.Contains(all, tt.wantPass) {
					t.Errorf("the command hook sees the password: %q", all)
				}
			}
		})
	}
}

// GIT_SSH_COMMAND survives a temporary directory whose path needs quoting.
func TestSSHCommandQuotingWithAwkwardTempDir(t *testing.T) {
	awkward := filepath.Join(t.TempDir(), "it's a $dir")
	if err := os.MkdirAll(awkward, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", awkward)
	record := filepath.Join(t.TempDir(), "record")
	m := newTestManager(t, WithGitBinary(askpassGit(t, record)))
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n"
	if _, err := m.Open(context.Background(), "ssh://git@git.example.com/r.git", Credentials{SSHPrivateKey: []byte(key), KnownHosts: []byte("h k\n")}); err == nil {
		t.Fatal("Open with a failing git succeeded")
	}
	ssh := readRecord(t, record)["ssh"]
	var keyPath, known string
	for i, a := range ssh {
		if a == "-i" && i+1 < len(ssh) {
			keyPath = ssh[i+1]
		}
		if strings.HasPrefix(a, "UserKnownHostsFile=") {
			known = strings.TrimPrefix(a, "UserKnownHostsFile=")
		}
	}
	if !strings.HasPrefix(keyPath, awkward+"/") || !strings.HasSuffix(keyPath, "/id_key") {
		t.Errorf("ssh -i %q, want the key file under %q (args %q)", keyPath, awkward, ssh)
	}
	if !strings.HasPrefix(known, awkward+"/") {
		t.Errorf("UserKnownHostsFile=%q, want under %q", known, awkward)
	}
	if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
		t.Errorf("key file left behind after the command: %v", err)
	}
}

func TestBusyErrorMessage(t *testing.T) {
	me := os.Getpid()
	tests := []struct {
		pid  int
		want string
	}{
		{me, "another cycle of this process"},
		{me + 1, "another imagepilot process pid " + strconv.Itoa(me+1)},
		{0, "another imagepilot process;"},
	}
	for _, tt := range tests {
		e := &BusyError{Dir: "/cache/abc", PID: tt.pid, Waited: 1500 * time.Millisecond}
		msg := e.Error()
		if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "/cache/abc") || !strings.Contains(msg, "1.5s") || !strings.Contains(msg, "--git-lock-timeout") {
			t.Errorf("pid %d: %q, want %q, the dir, the wait and the flag", tt.pid, msg, tt.want)
		}
		if !errors.Is(e, ErrBusy) {
			t.Error("BusyError is not ErrBusy")
		}
	}
}

func TestReadPID(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]int{"4242\n": 4242, " 17 ": 17, "": 0, "abc": 0, "-5": 0, "0": 0}
	for content, want := range tests {
		path := filepath.Join(dir, "lock")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := readPID(path); got != want {
			t.Errorf("readPID(%q) = %d, want %d", content, got, want)
		}
	}
	if got := readPID(filepath.Join(dir, "absent")); got != 0 {
		t.Errorf("readPID of a missing file = %d", got)
	}
}

// The lock file names its holder, and goroutines of one Manager exclude
// each other like processes do.
func TestLockWithinOneManager(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "1\n"})
	m := newTestManager(t, WithLockTimeout(150*time.Millisecond))
	r := openRepo(t, m, bare, Credentials{})
	if got := readPID(r.Dir() + ".lock"); got != os.Getpid() {
		t.Errorf("lock file names pid %d, want %d", got, os.Getpid())
	}
	_, err := m.Open(context.Background(), bare, Credentials{})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.PID != os.Getpid() || !strings.Contains(err.Error(), "another cycle of this process") {
		t.Fatalf("second Open in the process = %v, want BusyError of this process", err)
	}
	if _, _, err := m.Lease(context.Background(), "ext::x"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Lease of a bad URL: %v", err)
	}
	r.Close()
	r.Close() // idempotent
	ctx, release, err := m.Lease(context.Background(), bare)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	inner, innerRelease, err := m.Lease(ctx, bare)
	if err != nil || inner != ctx {
		t.Fatalf("nested Lease = %v, %v; want the outer lease reused", inner, err)
	}
	innerRelease() // must not release the outer lease
	other := newTestManager(t, WithCacheDir(m.opts.cacheDir), WithLockTimeout(100*time.Millisecond))
	if _, err := other.Open(context.Background(), bare, Credentials{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("after the nested release: %v, want the outer lease still held", err)
	}
}

// Every Repo method refuses to run after Close.
func TestRepoClosed(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "1\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	r.Close()
	ctx := context.Background()
	calls := map[string]func() error{
		"Head":          func() error { _, err := r.Head(ctx); return err },
		"Checkout":      func() error { return r.Checkout(ctx, "main") },
		"DefaultBranch": func() error { _, err := r.DefaultBranch(ctx); return err },
		"ShowFile":      func() error { _, err := r.ShowFile(ctx, "HEAD", "a.txt"); return err },
		"Log":           func() error { _, err := r.Log(ctx, "", 1); return err },
		"CommitAndPush": func() error {
			_, err := r.CommitAndPush(ctx, CommitRequest{Branch: "main", Message: "m", Apply: setLine("a.txt", "x", "y")})
			return err
		},
	}
	before := m.Stats().Commands
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if n := m.Stats().Commands - before; n != 0 {
		t.Errorf("%d git commands ran on a closed Repo", n)
	}
}

func TestLogArguments(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"app/a.yaml": "1\n", "b.txt": "1\n"})
	humanPush(t, bare, "main", map[string]string{"b.txt": "2\n"})
	humanPush(t, bare, "main", map[string]string{"app/a.yaml": "2\n"})
	m := newTestManager(t, WithCloneDepth(0))
	r := openRepo(t, m, bare, Credentials{})
	ctx := context.Background()
	if err := r.Checkout(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		n       int
		want    []string // subjects
		wantErr bool
	}{
		{"whole tree", "", 10, []string{"human edit", "human edit", "seed"}, false},
		{"limit", "", 1, []string{"human edit"}, false},
		{"path", "app/a.yaml", 10, []string{"human edit", "seed"}, false},
		{"directory path with a leading slash", "/app", 10, []string{"human edit", "seed"}, false},
		{"untouched path", "nothing", 10, nil, false},
		{"zero limit", "", 0, nil, true},
		{"path leaving the repository", "../x", 10, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, err := r.Log(ctx, tt.path, tt.n)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("err = %v, want ErrInvalidArgument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var subjects []string
			for _, c := range log {
				subjects = append(subjects, c.Subject)
			}
			if strings.Join(subjects, "|") != strings.Join(tt.want, "|") {
				t.Errorf("subjects %q, want %q", subjects, tt.want)
			}
		})
	}
	fetches := m.Stats().Fetches
	for _, bad := range []string{"xyz", "HEAD", "-p", strings.Repeat("a", 65)} {
		if _, err := r.ChangesSince(ctx, bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ChangesSince(%q) = %v", bad, err)
		}
	}
	if _, err := r.ChangesSince(ctx, strings.Repeat("b", 40)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown commit in a full clone: %v", err)
	}
	if m.Stats().Fetches != fetches {
		t.Error("a full clone was fetched again for an unknown commit")
	}
}

func TestValidateRevAndHex(t *testing.T) {
	for rev, ok := range map[string]bool{"HEAD": true, "main": true, "abc1234": true, "--output=x": false, "HEAD~1": false, "a..b": false, "": false} {
		if err := validateRev(rev); (err == nil) != ok {
			t.Errorf("validateRev(%q) = %v, want ok %v", rev, err, ok)
		}
	}
	for s, ok := range map[string]bool{"abcd": true, strings.Repeat("f", 64): true, "abc": false, strings.Repeat("f", 65): false, "ABCD": false, "abcg": false} {
		if isHex(s) != ok {
			t.Errorf("isHex(%q) = %v, want %v", s, !ok, ok)
		}
	}
}
