package git

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNoCredentialInArgsEnvOrErrors(t *testing.T) {
	const password = "pa55-w0rd-XYZ"
	var mu sync.Mutex
	var cmds []Command
	m := newTestManager(t, WithCommandHook(func(c Command) { mu.Lock(); cmds = append(cmds, c); mu.Unlock() }),
		WithCommandTimeout(20*time.Second))
	// Nothing listens on port 1: the clone fails, and its error must not leak.
	_, err := m.Open(context.Background(), "https://alice:"+password+"@127.0.0.1:1/r.git",
		Credentials{SSHPrivateKey: []byte("-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n-----END KEY-----\n")})
	if err == nil {
		t.Fatal("Open against a closed port succeeded")
	}
	if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "alice:") {
		t.Fatalf("error leaks credentials: %v", err)
	}
	if len(cmds) == 0 {
		t.Fatal("hook saw no command")
	}
	for _, c := range cmds {
		all := strings.Join(append(append([]string{}, c.Args...), c.Env...), " ")
		for _, s := range []string{password, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"} {
			if strings.Contains(all, s) {
				t.Fatalf("command %q carries a secret", all)
			}
		}
	}
}

func TestSessionFilesArePrivateAndHoldNoPassword(t *testing.T) {
	const password = "tok3n-value-xyz"
	s, err := newSession(Credentials{Username: "bob", Password: password, KnownHosts: []byte("h k"), CAData: []byte("ca")})
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(s.dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("session dir mode = %v, %v", info.Mode(), err)
	}
	for _, name := range []string{"known_hosts", "ca.pem", sessionLockName} {
		fi, err := os.Stat(filepath.Join(s.dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode = %v, %v", name, fi, err)
		}
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), password) {
			t.Fatalf("%s holds the password", e.Name())
		}
	}
	if strings.Contains(strings.Join(s.env, " "), password) {
		t.Fatal("the visible environment carries the password")
	}
	askpass := filepath.Join(s.dir, "askpass")
	for prompt, want := range map[string]string{"Username for 'https://h': ": "bob", "Password for 'https://bob@h': ": password} {
		cmd := exec.Command(askpass, prompt)
		cmd.Env = s.secretEnv
		out, err := cmd.Output()
		if err != nil || string(out) != want {
			t.Fatalf("askpass %q = %q, %v", prompt, out, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Fatalf("session dir survived Close: %v", err)
	}
}

func TestCommandTimeout(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "git")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, WithGitBinary(fake), WithCommandTimeout(200*time.Millisecond))
	_, err := m.Open(context.Background(), t.TempDir(), Credentials{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestChangesSinceDeepensShallowCopy(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"app/values.yaml": "tag: v1\n"})
	first := testGit(t, bare, "rev-parse", "main")
	humanPush(t, bare, "main", map[string]string{"app/values.yaml": "tag: v0\n"})
	humanPush(t, bare, "main", map[string]string{"other.txt": "x\n"})
	m := newTestManager(t, WithCloneDepth(1))
	r := openRepo(t, m, bare, Credentials{})
	ctx := context.Background()
	if err := r.Checkout(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	changes, err := r.ChangesSince(ctx, first, "/app/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].AuthorName != "Human" || changes[0].AuthorEmail != "human@example.com" {
		t.Fatalf("changes = %+v, want the one human edit", changes)
	}
	log, err := r.Log(ctx, "", 10)
	if err != nil || len(log) != 3 {
		t.Fatalf("Log = %+v, %v; want 3 commits", log, err)
	}
	if _, err := r.ChangesSince(ctx, strings.Repeat("0", 40)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown commit: %v", err)
	}
}
