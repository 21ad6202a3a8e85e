package git

import (
	"strings"
	"testing"
)

func FuzzParseLog(f *testing.F) {
	f.Add(strings.Repeat("a", 40) + "\x00A\x00a@x\x00C\x00c@x\x001700000000\x00s\x1e")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, in string) {
		commits, err := ParseLog(in)
		if err != nil {
			return
		}
		for _, c := range commits {
			if !isHex(c.SHA) {
				t.Fatalf("accepted non-hex SHA %q", c.SHA)
			}
		}
	})
}

func FuzzParseSymref(f *testing.F) {
	f.Add("ref: refs/heads/main\tHEAD\n")
	f.Add("ref: refs/heads/--upload-pack=x\tHEAD\n")
	f.Fuzz(func(t *testing.T, in string) {
		branch, ok := ParseSymref(in)
		if ok && ValidateBranch(branch) != nil {
			t.Fatalf("returned invalid branch %q", branch)
		}
	})
}

func FuzzValidateBranch(f *testing.F) {
	for _, s := range []string{"main", "-x", "a..b", "release/1.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateBranch(name) != nil {
			return
		}
		if strings.HasPrefix(name, "-") || strings.ContainsAny(name, " :\x00\n") || strings.Contains(name, "..") {
			t.Fatalf("accepted %q", name)
		}
	})
}

func FuzzRedact(f *testing.F) {
	f.Add("https://user:pw@host/x", "pw-secret")
	f.Add("token ghp_0123456789abcdefghij", "zzzz")
	f.Fuzz(func(t *testing.T, msg, secret string) {
		if len(secret) < minSecretLen || strings.Contains(secret, "*") {
			return
		}
		out := Redact(msg+" "+secret+" "+msg, secret)
		if strings.Contains(out, secret) {
			t.Fatalf("secret survived: %q", out)
		}
		if strings.Contains(out, "://") && userinfoPattern.MatchString(out) && !strings.Contains(out, redacted+"@") {
			t.Fatalf("userinfo survived: %q", out)
		}
	})
}

func FuzzNormaliseURL(f *testing.F) {
	for _, s := range []string{"https://u:p@h/r", "git@h:r", "/abs", "ext::x", "ssh://u:p@h/r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, _, err := normaliseURL(raw)
		if err != nil {
			return
		}
		if strings.HasPrefix(got, "-") || strings.HasPrefix(got, "ext::") {
			t.Fatalf("normaliseURL(%q) = %q", raw, got)
		}
		if (strings.HasPrefix(got, "https://") || strings.HasPrefix(got, "http://")) && strings.Contains(strings.SplitN(got[8:], "/", 2)[0], "@") {
			t.Fatalf("userinfo kept in %q", got)
		}
	})
}
