package git

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:PW-secret@host/org/repo.git", "https://user:***@host/org/repo.git"},
		{"https://user:p@ss@word@host/r.git", "https://user:***@host/r.git"},
		{"https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/o/r", "https://***@github.com/o/r"},
		{"http://tokenonly@host/r", "http://***@host/r"},
		{"HTTPS://u:pw@host", "HTTPS://u:***@host"},
		{"https://u:pw@host?x=1", "https://u:***@host?x=1"},
		{"ssh://git@host:22/r.git", "ssh://git@host:22/r.git"},
		{"ssh://git:pw@host/r.git", "ssh://git:***@host/r.git"},
		{"git@github.com:org/repo.git", "git@github.com:org/repo.git"},
		{"https://host/org/repo@v1", "https://host/org/repo@v1"},
		{"https://host/r.git", "https://host/r.git"},
		{"/local/path", "/local/path"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactPasswordWithAt(t *testing.T) {
	got := Redact("fatal: unable to access 'https://u:p@ss@host/r.git/': 403")
	if strings.Contains(got, "ss@") || strings.Contains(got, "p@") {
		t.Fatalf("Redact left part of the password: %q", got)
	}
}

func TestInvalidURLErrorIsRedacted(t *testing.T) {
	for _, raw := range []string{"https://u:Sekr1t-pw@host/r\n.git", "https://u:Sekr1t-pw@ho st/%zz", "ftp://u:Sekr1t-pw@host/r"} {
		_, _, err := normaliseURL(raw)
		if err == nil {
			t.Fatalf("normaliseURL(%q) accepted", raw)
		}
		if strings.Contains(err.Error(), "Sekr1t-pw") {
			t.Fatalf("normaliseURL(%q) error leaks the password: %v", raw, err)
		}
	}
}

func FuzzRedactURL(f *testing.F) {
	f.Add("user", "pw-secret")
	f.Add("u", "p@ss:w@rd")
	f.Fuzz(func(t *testing.T, user, pass string) {
		if len(pass) < minSecretLen || strings.ContainsAny(pass, "/?#") || strings.ContainsAny(user, "/?#@") {
			return
		}
		raw := "https://" + user + ":" + pass + "@host/r.git"
		if got := RedactURL(raw); strings.Contains(got, ":"+pass+"@") || !strings.HasSuffix(got, "@host/r.git") {
			t.Fatalf("RedactURL(%q) = %q", raw, got)
		}
	})
}
