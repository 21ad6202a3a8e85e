package git

import (
	"strings"
	"testing"
)

func TestParsePushStatus(t *testing.T) {
	sha := strings.Repeat("a", 40)
	tests := []struct {
		name, out, dst string
		want           pushStatus
		found, ok      bool
	}{
		{"new branch", "To http://h/r.git\n*\t" + sha + ":refs/heads/main\t[new branch]\nDone\n", "refs/heads/main", pushStatus{'*', "[new branch]"}, true, true},
		{"fast-forward", "To x\n \tHEAD:refs/heads/main\t1111111..2222222\nDone\n", "refs/heads/main", pushStatus{' ', "1111111..2222222"}, true, true},
		{"up to date", "=\tHEAD:refs/heads/main\t[up to date]\n", "refs/heads/main", pushStatus{'=', "[up to date]"}, true, true},
		{"forced, CRLF", "+\tHEAD:refs/heads/main\ta...b (forced update)\r\n", "refs/heads/main", pushStatus{'+', "a...b (forced update)"}, true, true},
		{"rejected", "!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n", "refs/heads/main", pushStatus{'!', "[remote rejected] (pre-receive hook declined)"}, true, false},
		{"other ref only", "*\tHEAD:refs/heads/other\t[new branch]\n", "refs/heads/main", pushStatus{}, false, false},
		{"prefix of ref", "*\tHEAD:refs/heads/main2\t[new branch]\n", "refs/heads/main", pushStatus{}, false, false},
		{"empty", "", "refs/heads/main", pushStatus{}, false, false},
	}
	for _, tt := range tests {
		got, found := parsePushStatus(tt.out, tt.dst)
		if got != tt.want || found != tt.found || got.accepted() != tt.ok {
			t.Errorf("%s: parsePushStatus = %+v, %v (accepted %v); want %+v, %v, %v", tt.name, got, found, got.accepted(), tt.want, tt.found, tt.ok)
		}
	}
}

func TestParseLsRemote(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 64)
	tests := []struct{ out, ref, want string }{
		{a + "\trefs/heads/main\n", "refs/heads/main", a},
		{a + "\trefs/heads/other\n" + b + "\trefs/heads/main\r\n", "refs/heads/main", b},
		{"xyz\trefs/heads/main\n", "refs/heads/main", ""},
		{strings.ToUpper(a) + "\trefs/heads/main\n", "refs/heads/main", ""},
		{"", "refs/heads/main", ""},
	}
	for _, tt := range tests {
		if got := parseLsRemote(tt.out, tt.ref); got != tt.want {
			t.Errorf("parseLsRemote(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}

func FuzzParsePushStatus(f *testing.F) {
	f.Add("*\tHEAD:refs/heads/main\t[new branch]\nDone\n", "refs/heads/main")
	f.Add("!\tx:refs/heads/main\t[rejected]\n", "refs/heads/main")
	f.Fuzz(func(t *testing.T, out, dst string) {
		st, ok := parsePushStatus(out, dst)
		if !ok {
			return
		}
		if !strings.Contains(out, ":"+dst) || strings.ContainsAny(st.Summary, "\n") {
			t.Fatalf("parsePushStatus(%q, %q) = %+v from no such line", out, dst, st)
		}
	})
}

func FuzzParseLsRemote(f *testing.F) {
	f.Add(strings.Repeat("a", 40)+"\trefs/heads/main\n", "refs/heads/main")
	f.Fuzz(func(t *testing.T, out, ref string) {
		if sha := parseLsRemote(out, ref); sha != "" && (!validSHA(sha) || !strings.Contains(out, sha+"\t"+ref)) {
			t.Fatalf("parseLsRemote returned %q", sha)
		}
	})
}
