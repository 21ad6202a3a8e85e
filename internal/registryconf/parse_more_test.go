package registryconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parseErr parses in and returns its error text, failing when it parses.
func parseErr(t *testing.T, in string) string {
	t.Helper()
	_, err := Parse([]byte(in))
	if err == nil {
		t.Fatalf("Parse(%q) succeeded", in)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v is not ErrInvalid", err)
	}
	return err.Error()
}

// TestParseValueErrorsAtTheirLine puts each malformed value on line 5 of an
// otherwise valid entry and checks the error points at that line and
// column, names the entry and says what is expected.
func TestParseValueErrorsAtTheirLine(t *testing.T) {
	caDir := t.TempDir()
	notPEM := filepath.Join(caDir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, value, want string
	}{
		{"api_url", "https://a.io/v2?x=1", "api_url: URL must not have a query or fragment"},
		{"api_url", "https://a.io/#top", "api_url: URL must not have a query or fragment"},
		{"api_url", "'https://a.io:port'", "api_url: not a valid URL"},
		{"api_url", "https://:443", "api_url: URL has no host"},
		{"api_url", "''", "api_url: must not be empty"},
		{"prefix", "a.io:123456", `prefix: "a.io:123456": want host[:port][/path]`},
		{"prefix", "-a.io", `prefix: "-a.io": want host[:port][/path]`},
		{"prefix", "a.io/team space", `prefix: "a.io/team space": invalid path segment "team space"`},
		{"prefix", "{a: b}", "prefix: want a single value, got a mapping"},
		{"credsexpire", "99999999999999999", `credsexpire: "99999999999999999": out of range`},
		{"credsexpire", "1d", `credsexpire: "1d": want a duration`},
		{"defaultns", "team//x", `defaultns: "team//x": want a namespace`},
		{"default", "[true]", "default: want a single value, got a list"},
		{"ca_file", caDir, "ca_file: cannot read"},
		{"ca_file", notPEM, "holds no PEM certificate"},
		{"limit", ".nan", `limit: ".nan": want a number`},
		{"tagsortmode", "Latest-First", `tagsortmode: "Latest-First": want none, latest-first or latest-last`},
		{"credentials", "secret:ns/name#", "credentials: invalid credential reference"},
		{"credentials", "[env:X]", "credentials: want a single value, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			in := "registries:\n- name: r\n  api_url: https://a.io\n  prefix: a.io\n  " + tt.key + ": " + tt.value + "\n"
			if tt.key == "api_url" || tt.key == "prefix" {
				in = "registries:\n- name: r\n  api_url: https://a.io\n  prefix: a.io\n  " + "ping: no\n"
				in = strings.Replace(in, "  "+tt.key+": "+map[string]string{"api_url": "https://a.io", "prefix": "a.io"}[tt.key]+"\n", "", 1)
				in = strings.Replace(in, "  ping: no\n", "  "+tt.key+": "+tt.value+"\n", 1)
			}
			got := parseErr(t, in)
			col := len("  "+tt.key+": ") + 1
			wantPos := fmt.Sprintf("registries.conf:%d:%d: registry \"r\": ", strings.Count(in[:strings.Index(in, tt.key+": "+tt.value)], "\n")+1, col)
			if !strings.HasPrefix(got, wantPos) || !strings.Contains(got, tt.want) {
				t.Errorf("error = %q\nwant %q...%q", got, wantPos, tt.want)
			}
		})
	}
}

func TestParseAPIURLErrorNeverQuotesTheURL(t *testing.T) {
	// url.Parse fails on this one; its text holds a password.
	got := parseErr(t, "registries:\n- name: r\n  api_url: 'https://u:hunter2@a.io:port/'\n  prefix: a.io\n")
	if strings.Contains(got, "hunter2") {
		t.Fatalf("error shows the password: %s", got)
	}
}

func TestParseNullValuesAreUnset(t *testing.T) {
	cfg, err := Parse([]byte("registries:\n- name: r\n  api_url: https://a.io\n  prefix: a.io\n  credentials: ~\n  credsexpire:\n  defaultns: null\n  insecure: ~\n  ca_file:\n  ca_data:\n  limit:\n  tagsortmode:\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Registry{Name: "r", APIURL: "https://a.io", Prefix: "a.io", TagSortMode: TagSortNone}
	if got := cfg.Registries[0]; got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestParseNormalisesValues(t *testing.T) {
	cfg, err := Parse([]byte("registries:\n" +
		"- {name: a, api_url: 'https://A.io:8443/', prefix: 'REGISTRY-1.docker.io/Team/', credsexpire: 90m, defaultns: org/sub, tagsortmode: none}\n" +
		"- {name: b, api_url: http://b.io, prefix: 'b.io:5000', limit: 7, default: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.Registries[0], cfg.Registries[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"trailing slash of api_url dropped", a.APIURL, "https://A.io:8443"},
		{"prefix host folded, path case kept, slash dropped", a.Prefix, "docker.io/Team"},
		{"duration", a.CredsExpire, 90 * time.Minute},
		{"namespace with a slash", a.DefaultNS, "org/sub"},
		{"prefix with port", b.Prefix, "b.io:5000"},
		{"integer limit", b.Limit, 7.0},
		{"file order kept", b.Name, "b"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("registries:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "- {name: r%d, api_url: https://a.io, prefix: a%d.io, limit: -1}\n", i, i)
	}
	got := parseErr(t, b.String())
	if n := strings.Count(got, "\n") + 1; n != maxErrors {
		t.Fatalf("%d errors reported, want the cap %d", n, maxErrors)
	}
	if !strings.Contains(got, "registries.conf:2:") || strings.Contains(got, "registries.conf:22:") {
		t.Fatalf("the cap should keep the first errors:\n%s", got)
	}
}

func TestParseCrossEntryErrorsPointAtBothEntries(t *testing.T) {
	got := parseErr(t, "registries:\n- name: first\n  api_url: https://a.io\n  prefix: a.io/team\n  default: true\n"+
		"- name: second\n  api_url: https://a.io\n  prefix: A.io/team/\n  default: yes\n")
	for _, want := range []string{
		`registries.conf:8:11: registry "second": prefix "a.io/team" is already used by registry "first" (line 4)`,
		`registries.conf:9:12: registry "second": only one registry may be the default; registry "first" (line 5) already is`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
}

func TestParseAliasedEntries(t *testing.T) {
	got := parseErr(t, "registries:\n- &base {name: a, api_url: https://a.io, prefix: a.io}\n- *base\n")
	if !strings.Contains(got, `registries.conf:2:50: registry "a": prefix "a.io" is already used by registry "a" (line 2)`) {
		t.Fatalf("the same entry twice through an alias: %s", got)
	}
	got = parseErr(t, "registries:\n- &e [1]\n- *e\n")
	if !strings.Contains(got, "registries.conf:2:3: registry #1: want a mapping of registry settings, got a list") ||
		!strings.Contains(got, "registry #2: want a mapping") {
		t.Fatalf("aliased list items: %s", got)
	}
}

func TestErrorRendering(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "f", Msg: "m"}, "f: m"},
		{Error{File: "f", Line: 3, Msg: "m"}, "f:3: m"},
		{Error{File: "f", Line: 3, Column: 7, Registry: `registry "x"`, Msg: "m"}, `f:3:7: registry "x": m`},
		{Error{File: "f", Column: 7, Msg: "m"}, "f: m"},
		{Error{File: "f", Line: 1, Msg: "m", Err: cause}, "f:1: m: cause"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	e := &Error{File: "f", Msg: "m", Err: cause}
	if !errors.Is(e, ErrInvalid) || !errors.Is(e, cause) || errors.Is(e, os.ErrNotExist) {
		t.Errorf("errors.Is on %v: want ErrInvalid and the cause only", e)
	}
}

func TestBadByteLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"invalid utf-8 on line 3", "a\nb\nc\xffd\n", 3},
		{"NUL on line 2", "a\n\x00\n", 2},
		{"C1 control on line 1", "a\u0085ok\u0086", 1},
		{"DEL", "a\nb\x7f", 2},
		{"U+FFFE", "a\n\ufffe", 2},
		{"tabs and CR are fine: last line", "a\tb\r\nc\n", 3},
		{"empty", "", 1},
	}
	for _, tt := range tests {
		if got := badByteLine([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: badByteLine = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestParseControlCharacterErrorHasItsLine(t *testing.T) {
	got := parseErr(t, "registries:\n- name: a\n  api_url: https://a.io\n  prefix: \x01a.io\n")
	if !strings.HasPrefix(got, "registries.conf:4: YAML syntax: ") {
		t.Fatalf("error = %q, want line 4", got)
	}
}
