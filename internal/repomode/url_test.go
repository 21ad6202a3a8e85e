package repomode

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
)

func TestNormalizeRepoURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/org/repo.git", "github.com/org/repo"},
		{"https://github.com/org/repo", "github.com/org/repo"},
		{"https://github.com/org/repo/", "github.com/org/repo"},
		{"https://github.com/org/repo.git/", "github.com/org/repo"},
		{"https://GitHub.COM/org/repo", "github.com/org/repo"},
		{"http://user@github.com/org/repo.git", "github.com/org/repo"},
		{"https://user:secret@github.com/org/repo", "github.com/org/repo"},
		{"https://github.com:443/org/repo", "github.com/org/repo"},
		{"http://github.com:80/org/repo", "github.com/org/repo"},
		{"https://github.com//org///repo", "github.com/org/repo"},
		{"  https://github.com/org/repo  ", "github.com/org/repo"},
		{"git@github.com:org/repo.git", "github.com/org/repo"},
		{"git@GITHUB.com:org/repo", "github.com/org/repo"},
		{"github.com:org/repo.git", "github.com/org/repo"},
		{"ssh://git@github.com/org/repo", "github.com/org/repo"},
		{"ssh://git@github.com:22/org/repo.git", "github.com/org/repo"},
		{"ssh://git@github.com:2222/org/repo.git", "github.com:2222/org/repo"},
		{"git+ssh://git@github.com/org/repo", "github.com/org/repo"},
		{"git://github.com:9418/org/repo", "github.com/org/repo"},
		{"https://git.example.com:8443/a/b.git", "git.example.com:8443/a/b"},
		{"https://[::1]:8443/a/b", "[::1]:8443/a/b"},
		{"ssh://git@[::1]/a/b", "[::1]/a/b"},
		{"git@[::1]:a/b", "[::1]/a/b"},
		{"https://host./a", "host/a"},
		{"/srv/git/repo.git", "file:/srv/git/repo"},
		{"/srv/git/repo/", "file:/srv/git/repo"},
		{"file:///srv/git/repo.git", "file:/srv/git/repo"},
		{"file://localhost/srv/git/repo", "file:/srv/git/repo"},
		{"FILE:///srv/git/repo", "file:/srv/git/repo"},
		{"file://otherhost/srv/git/repo", ""},
		{"https:///nohost", ""},
		{"https://host/%zz", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeRepoURL(tt.in); got != tt.want {
			t.Errorf("NormalizeRepoURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSameRepository(t *testing.T) {
	same := [][2]string{
		{"https://github.com/org/repo.git", "https://github.com/org/repo"},
		{"https://github.com/org/repo/", "http://user@GitHub.com/org/repo.git"},
		{"git@github.com:org/repo.git", "ssh://git@github.com/org/repo"},
		{"git@github.com:org/repo.git", "https://github.com/org/repo"},
		{"ssh://git@github.com:22/org/repo", "https://github.com:443/org/repo/"},
		{"/srv/git/repo.git", "file:///srv/git/repo.git"},
		{"/srv/git/repo.git", "file:///srv/git/repo/"},
		{"https://git.example.com:8443/a/b", "https://git.example.com:8443/a/b.git"},
	}
	for _, p := range same {
		if !SameRepository(p[0], p[1]) || !SameRepository(p[1], p[0]) {
			t.Errorf("%q and %q should match", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"https://github.com/org/repo", "https://github.com/org/repo2"},
		{"https://github.com/org/repo", "https://github.com/org/Repo"},
		{"https://github.com/org/repo", "https://gitlab.com/org/repo"},
		{"https://github.com/org/repo", "https://github.com/org/repo/sub"},
		{"https://git.example.com:8443/a/b", "https://git.example.com/a/b"},
		{"ssh://git@github.com:2222/org/repo", "git@github.com:org/repo"},
		{"https://github.com:22/org/repo", "https://github.com/org/repo"},
		{"/srv/git/a", "/srv/git/b"},
		{"/srv/git/a", "https://srv/git/a"},
		{"", ""},
		{"file://otherhost/x", "file://otherhost/x"},
	}
	for _, p := range differ {
		if SameRepository(p[0], p[1]) {
			t.Errorf("%q and %q should differ", p[0], p[1])
		}
	}
}

// FuzzNormalizeRepoURL checks that the usual rewritings of an https
// address are all equal to it, that SameRepository is symmetric, and that
// no password survives normalisation.
func FuzzNormalizeRepoURL(f *testing.F) {
	f.Add("github.com", "org/repo", "https://x:pw@h/a")
	f.Add("Git.Example.COM", "a/b/c", "git@h:a.git")
	f.Add("h", "x.y", "/srv/a/")
	f.Fuzz(func(t *testing.T, host, repoPath, other string) {
		if SameRepository(other, host) != SameRepository(host, other) {
			t.Fatalf("SameRepository not symmetric for %q, %q", other, host)
		}
		if n := NormalizeRepoURL("https://user:s3cr3tPW@" + host + "/" + repoPath); strings.Contains(n, "s3cr3tPW") {
			t.Fatalf("password kept: %q", n)
		}
		if !validHost(host) || !validPath(repoPath) {
			return
		}
		base := "https://" + host + "/" + repoPath
		if NormalizeRepoURL(base) == "" {
			return
		}
		variants := []string{
			base + ".git", base + "/", "http://" + strings.ToUpper(host) + "/" + repoPath,
			"ssh://git@" + host + "/" + repoPath + ".git", "git@" + host + ":" + repoPath,
			"https://" + host + ":443/" + repoPath + "/", "https://u:p@" + host + "/" + repoPath,
		}
		for _, v := range variants {
			if !SameRepository(base, v) {
				t.Fatalf("%q and %q should match (%q vs %q)", base, v, NormalizeRepoURL(base), NormalizeRepoURL(v))
			}
		}
		if SameRepository(base, base+"x") && !strings.HasSuffix(repoPath, "/") {
			t.Fatalf("%q matches %q", base, base+"x")
		}
	})
}

func validHost(h string) bool {
	if h == "" || strings.HasSuffix(h, ".") {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

func validPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, ".git") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || seg == ".git" {
			return false
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:PW@git.example.com/a.git", "https://user:***@git.example.com/a.git"},
		{"https://user@git.example.com/a.git", "https://***@git.example.com/a.git"},
		{"https://user:PW@git.example.com/%zz", "https://user:***@git.example.com/%zz"},
		{"git@github.com:org/repo", "git@github.com:org/repo"},
		{"/srv/git/repo", "/srv/git/repo"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactErrorHidesThePasswordAndKeepsTheChain(t *testing.T) {
	raw := "https://user:p%40ss@git.example.com/a.git"
	inner := fmt.Errorf("clone %s failed with password p@ss: %w", raw, fs.ErrNotExist)
	err := redactError(inner, raw)
	if strings.Contains(err.Error(), "p@ss") || strings.Contains(err.Error(), "p%40ss") {
		t.Fatalf("password in %q", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("error chain lost")
	}
	if redactError(nil, raw) != nil {
		t.Fatal("nil error became non-nil")
	}
}

func TestMoveUserinfo(t *testing.T) {
	u, c := MoveUserinfo("https://bob:PW@git.example.com/a.git", git.Credentials{})
	if u != "https://git.example.com/a.git" || c.Username != "bob" || c.Password != "PW" {
		t.Fatalf("got %q %+v", u, c)
	}
	u, c = MoveUserinfo("https://bob:PW@git.example.com/a.git", git.Credentials{Username: "alice", Password: "x"})
	if u != "https://git.example.com/a.git" || c.Username != "alice" || c.Password != "x" {
		t.Fatalf("explicit credentials replaced: %q %+v", u, c)
	}
	if u, _ := MoveUserinfo("ssh://git@host/a", git.Credentials{}); u != "ssh://git@host/a" {
		t.Fatalf("ssh user removed: %q", u)
	}
}
