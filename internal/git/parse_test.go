package git

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSymref(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"ref: refs/heads/main\tHEAD\n0123abcd\tHEAD\n", "main", true},
		{"ref: refs/heads/release/1.x\tHEAD\r\n", "release/1.x", true},
		{"0123abcd\tHEAD\n", "", false},
		{"ref: refs/tags/v1\tHEAD\n", "", false},
		{"ref: refs/heads/-x\tHEAD\n", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseSymref(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseSymref(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseLog(t *testing.T) {
	sha := strings.Repeat("a", 40)
	rec := sha + "\x00Ann\x00ann@x\x00Cid\x00cid@x\x001700000000\x00subject: with: colons\x1e\n"
	got, err := ParseLog(rec + rec)
	if err != nil || len(got) != 2 {
		t.Fatalf("ParseLog = %v, %v", got, err)
	}
	c := got[0]
	if c.SHA != sha || c.AuthorName != "Ann" || c.AuthorEmail != "ann@x" || c.CommitterEmail != "cid@x" ||
		c.When.Unix() != 1700000000 || c.Subject != "subject: with: colons" {
		t.Fatalf("commit = %+v", c)
	}
	for _, bad := range []string{"nonsense\x1e", sha + "\x00a\x00b\x00c\x00d\x00notanumber\x00s\x1e"} {
		if _, err := ParseLog(bad); err == nil {
			t.Errorf("ParseLog(%q) accepted", bad)
		}
	}
	if got, err := ParseLog(""); err != nil || len(got) != 0 {
		t.Fatalf("empty log = %v, %v", got, err)
	}
}

func TestValidateBranch(t *testing.T) {
	good := []string{"main", "release/1.x", "imagepilot/app-v1.2", "feature_x", "a@b"}
	bad := []string{"", "-f", "--force", "a..b", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b",
		"/a", "a/", "a.", "a.lock", "a//b", "a@{1}", ".hidden", "a/.b", "@", "a\nb"}
	for _, b := range good {
		if err := ValidateBranch(b); err != nil {
			t.Errorf("ValidateBranch(%q) = %v", b, err)
		}
	}
	for _, b := range bad {
		if err := ValidateBranch(b); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ValidateBranch(%q) accepted", b)
		}
	}
}

func TestCleanRepoPath(t *testing.T) {
	tests := map[string]string{"a/b": "a/b", "/a/b": "a/b", "a/./b/": "a/b", "a/../b": "b", "": "", "..": "", "a/../../b": "", "/": ""}
	for in, want := range tests {
		got, err := cleanRepoPath(in)
		if want == "" {
			if err == nil {
				t.Errorf("cleanRepoPath(%q) = %q, want error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("cleanRepoPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestIsRetryableRejection(t *testing.T) {
	tests := []struct {
		out  string
		want bool
	}{
		{"To x\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\nDone", true},
		{"!\tHEAD:refs/heads/main\t[rejected] (non-fast-forward)", true},
		{"!\tHEAD:refs/heads/main\t[rejected] (stale info)", true},
		{"!\tHEAD:refs/heads/main\t[remote rejected] (cannot lock ref 'refs/heads/main': is at a but expected b)", true},
		{"!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)", false},
		{"!\tHEAD:refs/heads/main\t[remote rejected] (protected branch hook declined)", false},
		{"fatal: Authentication failed", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsRetryableRejection(tt.out); got != tt.want {
			t.Errorf("IsRetryableRejection(%q) = %v, want %v", tt.out, got, tt.want)
		}
	}
}

func TestNormaliseURL(t *testing.T) {
	tests := []struct {
		in, want, user, pass string
		err                  bool
	}{
		{in: "https://u:p4ss@git.example.com/r.git", want: "https://git.example.com/r.git", user: "u", pass: "p4ss"},
		{in: "https://git.example.com/r.git", want: "https://git.example.com/r.git"},
		{in: "ssh://git:secret@host:2222/r.git", want: "ssh://git@host:2222/r.git"},
		{in: "git@github.com:org/r.git", want: "git@github.com:org/r.git"},
		{in: "git://127.0.0.1:9418/r.git", want: "git://127.0.0.1:9418/r.git"},
		{in: "/srv/repo.git", want: "file:///srv/repo.git"},
		{in: "file:///srv/repo.git", want: "file:///srv/repo.git"},
		{in: "ext::sh -c touch% /tmp/pwned", err: true},
		{in: "-uhelp", err: true},
		{in: "", err: true},
		{in: "gopher://x/y", err: true},
		{in: "http://u:p@h/r", want: "http://h/r", user: "u", pass: "p"},
		{in: "https://tok@h/r", want: "https://h/r", user: "tok"},
		{in: "ssh://git@h/r", want: "ssh://git@h/r"},
		{in: "host.example.com:org/r.git", want: "host.example.com:org/r.git"},
		{in: "https://h/r\n--upload-pack=x", err: true},
		{in: "https://h/r\x00", err: true},
		{in: "fd::17", err: true},
		{in: "file::/x", err: true},
	}
	for _, tt := range tests {
		got, info, err := normaliseURL(tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("normaliseURL(%q) = %q, want error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normaliseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			continue
		}
		var user, pass string
		if info != nil {
			user = info.Username()
			pass, _ = info.Password()
		}
		if user != tt.user || pass != tt.pass {
			t.Errorf("normaliseURL(%q) userinfo = %q:%q", tt.in, user, pass)
		}
	}
	wd, _ := os.Getwd()
	if got, _, err := normaliseURL("rel/repo.git"); err != nil || got != "file://"+filepath.ToSlash(filepath.Join(wd, "rel/repo.git")) {
		t.Errorf("relative path = %q, %v; want an absolute file URL", got, err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		in      string
		secrets []string
		want    string
	}{
		{"fatal: unable to access 'https://user:hunter22@host/r.git/'", nil, "fatal: unable to access 'https://***@host/r.git/'"},
		{"remote: token ghp_abcdefghijklmnopqrstuvwxyz0123 bad", nil, "remote: token *** bad"},
		{"glpat-abcdefghijklmnopqrstu", nil, "***"},
		{"Authorization: Basic dXNlcjpwYXNz", nil, "Authorization: Basic ***"},
		{"password s3cr3tvalue echoed", []string{"s3cr3tvalue"}, "password *** echoed"},
		{"short a b", []string{"a"}, "short a b"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in, tt.secrets...); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
