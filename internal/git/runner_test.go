package git

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeGit writes a shell script standing in for git.
func fakeGit(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "git")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func testRunner(binary string, timeout time.Duration) *runner {
	return &runner{binary: binary, timeout: timeout, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestRunnerErrors(t *testing.T) {
	const secret = "s3cret-Passw0rd"
	tests := []struct {
		name       string
		script     string
		timeout    time.Duration
		cancel     bool
		wantCode   int
		wantErr    error
		wantStderr string
		notStderr  []string
	}{
		{name: "exit code and stderr are kept", script: "echo 'fatal: not a git repository' >&2; exit 128",
			wantCode: 128, wantStderr: "fatal: not a git repository"},
		{name: "stderr is trimmed", script: "printf '\\n\\n  error: x  \\n\\n' >&2; exit 1",
			wantCode: 1, wantStderr: "error: x"},
		{name: "URL passwords are redacted", script: "echo \"fatal: unable to access 'https://bob:" + secret + "@host/r.git/'\" >&2; exit 128",
			wantCode: 128, wantStderr: "https://***@host/r.git/", notStderr: []string{secret}},
		{name: "known secrets are redacted anywhere", script: "echo 'remote: your password " + secret + " is wrong' >&2; exit 1",
			wantCode: 1, wantStderr: "your password *** is wrong", notStderr: []string{secret}},
		{name: "token shapes are redacted", script: "echo 'remote: ghp_abcdefghijklmnopqrstuvwxyz0123 revoked' >&2; exit 1",
			wantCode: 1, wantStderr: "remote: *** revoked"},
		{name: "long stderr keeps its end", script: "i=0; while [ $i -lt 600 ]; do echo 'filler line' >&2; i=$((i+1)); done; echo 'fatal: the real reason' >&2; exit 2",
			wantCode: 2, wantStderr: "fatal: the real reason"},
		{name: "timeout kills the command", script: "exec sleep 30", timeout: 150 * time.Millisecond,
			wantCode: -1, wantErr: context.DeadlineExceeded},
		{name: "timeout also ends the command's children", script: "sleep 30 & sleep 30; wait", timeout: 150 * time.Millisecond,
			wantCode: -1, wantErr: context.DeadlineExceeded},
		{name: "caller cancellation is reported as such", script: "exec sleep 30", cancel: true,
			wantCode: -1, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			r := testRunner(fakeGit(t, tt.script), timeout)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err := r.run(ctx, invocation{dir: t.TempDir(), args: []string{"-c", "x=y", "fetch", "origin"}, secrets: []string{secret}})
			if d := time.Since(start); d > 8*time.Second {
				t.Fatalf("took %s", d)
			}
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CommandError", err)
			}
			if ce.Subcommand != "fetch" || ce.ExitCode != tt.wantCode {
				t.Errorf("subcommand %q exit %d, want fetch exit %d", ce.Subcommand, ce.ExitCode, tt.wantCode)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == context.DeadlineExceeded && !strings.Contains(err.Error(), "after "+timeout.String()) {
				t.Errorf("timeout error %q does not name the timeout", err)
			}
			if !strings.Contains(ce.Stderr, tt.wantStderr) || len(ce.Stderr) > maxStderr {
				t.Errorf("stderr %q (%d bytes), want it to contain %q within %d bytes", ce.Stderr, len(ce.Stderr), tt.wantStderr, maxStderr)
			}
			for _, s := range tt.notStderr {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks %q: %v", s, err)
				}
			}
			if tt.wantStderr != "" && !strings.HasSuffix(err.Error(), ": "+ce.Stderr) {
				t.Errorf("message %q does not end with the stderr", err)
			}
		})
	}
}

func TestRunnerOutputHookAndCount(t *testing.T) {
	var seen []Command
	count := 0
	r := testRunner(fakeGit(t, `printf 'out:%s' "$*"; printf 'noise' >&2`), 10*time.Second)
	r.hook = func(c Command) { seen = append(seen, c) }
	r.count = func() { count++ }
	dir := t.TempDir()
	out, err := r.run(context.Background(), invocation{dir: dir, args: []string{"status", "--porcelain"},
		env: []string{"GIT_ASKPASS=/x/askpass"}, secretEnv: []string{askpassPassEnv + "=hunter22"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "out:status --porcelain" {
		t.Errorf("stdout %q (stderr must not be mixed in)", out)
	}
	if count != 1 || len(seen) != 1 {
		t.Fatalf("count %d, hook calls %d", count, len(seen))
	}
	c := seen[0]
	if c.Dir != dir || !slices.Equal(c.Args, []string{"status", "--porcelain"}) {
		t.Errorf("hook saw %+v", c)
	}
	if !slices.Equal(c.Env, []string{"GIT_ASKPASS=/x/askpass", askpassPassEnv + "=***"}) {
		t.Errorf("hook env %q, want the secret value hidden", c.Env)
	}
}

// The child gets the isolated environment plus the invocation's entries;
// inherited variables that change git's behaviour are dropped.
func TestRunnerEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"GIT_DIR": "/elsewhere", "GIT_SSH_COMMAND": "evil", "GIT_CONFIG_GLOBAL": "/home/me/.gitconfig",
		"LC_MESSAGES": "de_DE", "LANG": "de_DE.UTF-8", "LANGUAGE": "de", "SSH_ASKPASS": "/usr/bin/ksshaskpass",
		"GNUPGHOME": "/home/me/.gnupg", askpassPassEnv: "leaked-from-parent", "KEEP_ME": "yes",
	} {
		t.Setenv(k, v)
	}
	dump := filepath.Join(t.TempDir(), "env")
	r := testRunner(fakeGit(t, "env > "+dump), 10*time.Second)
	if _, err := r.run(context.Background(), invocation{dir: t.TempDir(), args: []string{"version"},
		env: []string{"GIT_SSL_CAINFO=/tmp/ca.pem"}, secretEnv: []string{askpassUserEnv + "=bob"}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, want := range append(fixedEnv(), "KEEP_ME=yes", "GIT_SSL_CAINFO=/tmp/ca.pem", askpassUserEnv+"=bob") {
		if !slices.Contains(env, want) {
			t.Errorf("child environment lacks %q", want)
		}
	}
	for _, gone := range []string{"GIT_DIR=", "GIT_SSH_COMMAND=", "GIT_CONFIG_GLOBAL=/home", "LC_MESSAGES=", "LANG=", "LANGUAGE=",
		"SSH_ASKPASS=/usr", "GNUPGHOME=", askpassPassEnv + "="} {
		for _, kv := range env {
			if strings.HasPrefix(kv, gone) {
				t.Errorf("inherited %q reached git", kv)
			}
		}
	}
}

func TestSubcommand(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"fetch", "origin"}, "fetch"},
		{[]string{"-c", "core.hooksPath=/dev/null", "-c", "gpg.format=ssh", "commit", "-m", "x"}, "commit"},
		{[]string{"-C", "/dir", "status"}, "status"},
		{[]string{"--no-pager", "log"}, "log"},
		{[]string{"-c", "a=b"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := subcommand(tt.args); got != tt.want {
			t.Errorf("subcommand(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestCommandErrorMessage(t *testing.T) {
	base := errors.New("exit status 1")
	if got := (&CommandError{Subcommand: "push", Err: base}).Error(); got != "git push: exit status 1" {
		t.Errorf("without stderr: %q", got)
	}
	e := &CommandError{Subcommand: "push", Err: base, Stderr: "rejected"}
	if got := e.Error(); got != "git push: exit status 1: rejected" {
		t.Errorf("with stderr: %q", got)
	}
	if !errors.Is(e, base) {
		t.Error("CommandError does not unwrap to its cause")
	}
}
