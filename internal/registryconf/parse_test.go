package registryconf

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	caPEM, _ := testCA(t)
	caPath := writeFile(t, "ca.pem", caPEM)
	indentedCA := "    " + strings.ReplaceAll(strings.TrimSpace(caPEM), "\n", "\n    ")
	full := fmt.Sprintf(`registries:
- name: AlibabaCloud Container Registry
  api_url: https://registry.cn-hongkong.aliyuncs.com/
  prefix: Registry.CN-Hongkong.aliyuncs.com/team/
  credentials: secret:appcenter/acr#acr
  credsexpire: 12h
  defaultns: library
  default: true
  insecure: false
  ca_file: %s
  ca_data: |
%s
  limit: 20
  tagsortmode: latest-first
  ping: yes
`, caPath, indentedCA)

	tests := []struct {
		name string
		in   string
		want []Registry
	}{
		{name: "empty file", in: ""},
		{name: "only comments", in: "# nothing here\n"},
		{name: "empty list", in: "registries: []\n"},
		{name: "null list", in: "registries:\n"},
		{name: "null document", in: "~\n"},
		{name: "all keys", in: full, want: []Registry{{
			Name:        "AlibabaCloud Container Registry",
			APIURL:      "https://registry.cn-hongkong.aliyuncs.com",
			Prefix:      "registry.cn-hongkong.aliyuncs.com/team",
			Credentials: "secret:appcenter/acr#acr",
			CredsExpire: 12 * time.Hour,
			DefaultNS:   "library",
			Default:     true,
			CAFile:      caPath,
			CAData:      strings.TrimSpace(caPEM) + "\n",
			Limit:       20,
			TagSortMode: TagSortLatestFirst,
		}}},
		{name: "minimal entry gets tagsortmode none", in: "registries:\n- name: q\n  api_url: http://quay.io\n  prefix: quay.io\n",
			want: []Registry{{Name: "q", APIURL: "http://quay.io", Prefix: "quay.io", TagSortMode: TagSortNone}}},
		{name: "yaml 1.1 booleans", in: "registries:\n- {name: q, api_url: https://q.io, prefix: q.io, insecure: yes, default: On, ping: no}\n",
			want: []Registry{{Name: "q", APIURL: "https://q.io", Prefix: "q.io", Insecure: true, Default: true, TagSortMode: TagSortNone}}},
		{name: "bare seconds and fractional limit", in: "registries:\n- {name: q, api_url: https://q.io, prefix: q.io, credsexpire: 3600, limit: 0.5}\n",
			want: []Registry{{Name: "q", APIURL: "https://q.io", Prefix: "q.io", CredsExpire: time.Hour, Limit: 0.5, TagSortMode: TagSortNone}}},
		{name: "zero credsexpire is forever", in: "registries:\n- {name: q, api_url: https://q.io, prefix: q.io, credsexpire: 0s}\n",
			want: []Registry{{Name: "q", APIURL: "https://q.io", Prefix: "q.io", TagSortMode: TagSortNone}}},
		{name: "docker hub alias prefix", in: "registries:\n- {name: hub, api_url: https://registry-1.docker.io, prefix: index.docker.io}\n",
			want: []Registry{{Name: "hub", APIURL: "https://registry-1.docker.io", Prefix: "docker.io", TagSortMode: TagSortNone}}},
		{name: "port in prefix", in: "registries:\n- {name: local, api_url: http://localhost:5000, prefix: localhost:5000}\n",
			want: []Registry{{Name: "local", APIURL: "http://localhost:5000", Prefix: "localhost:5000", TagSortMode: TagSortNone}}},
		{name: "credential forms", in: `registries:
- {name: a, api_url: https://a.io, prefix: a.io, credentials: "pullsecret:argocd/pull"}
- {name: b, api_url: https://b.io, prefix: b.io, credentials: "env:B_CREDS"}
- {name: c, api_url: https://c.io, prefix: c.io, credentials: "ext:/app/auth.sh"}
`, want: []Registry{
			{Name: "a", APIURL: "https://a.io", Prefix: "a.io", Credentials: "pullsecret:argocd/pull", TagSortMode: TagSortNone},
			{Name: "b", APIURL: "https://b.io", Prefix: "b.io", Credentials: "env:B_CREDS", TagSortMode: TagSortNone},
			{Name: "c", APIURL: "https://c.io", Prefix: "c.io", Credentials: "ext:/app/auth.sh", TagSortMode: TagSortNone},
		}},
		{name: "anchors and aliases", in: "common: &c\nregistries:\n- {name: q, api_url: https://q.io, prefix: q.io}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.in))
			if tt.name == "anchors and aliases" {
				// Top-level keys other than registries are refused even as anchors.
				if err == nil {
					t.Fatal("want error for unknown top-level key")
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(cfg.Registries, tt.want) {
				t.Errorf("got  %+v\nwant %+v", cfg.Registries, tt.want)
			}
		})
	}
}

func TestParseAliasValue(t *testing.T) {
	in := "registries:\n- name: &n shared\n  api_url: https://q.io\n  prefix: q.io\n  defaultns: *n\n"
	cfg, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Registries[0].DefaultNS; got != "shared" {
		t.Errorf("DefaultNS = %q, want shared", got)
	}
}

func TestParseErrors(t *testing.T) {
	const ok = "  api_url: https://q.io\n  prefix: q.io\n"
	tests := []struct {
		name string
		in   string
		want string // exact prefix of the first error line, or substring when it starts with "~"
	}{
		{"unknown key", "registries:\n- name: ACR\n  api_ulr: https://x.io\n  api_url: https://x.io\n  prefix: x.io\n",
			`registries.conf:3:3: registry "ACR": unknown key "api_ulr"`},
		{"unknown key before name", "registries:\n- bogus: 1\n  name: ACR\n" + ok,
			`registries.conf:2:3: registry "ACR": unknown key "bogus"`},
		{"unknown top-level key", "registry: []\n", `registries.conf:1:1: unknown key "registry"`},
		{"duplicate top-level key", "registries: []\nregistries: []\n", `registries.conf:2:1: duplicate key "registries"`},
		{"duplicate key", "registries:\n- name: a\n  name: b\n" + ok, `registries.conf:3:3: registry "a": duplicate key "name"`},
		{"top-level list", "- a\n", `registries.conf:1:1: want a mapping`},
		{"registries not a list", "registries: {}\n", `registries.conf:1:13: registries: want a list`},
		{"entry not a mapping", "registries:\n- foo\n", `registries.conf:2:3: registry #1: want a mapping`},
		{"missing name", "registries:\n-" + ok[1:], `registries.conf:2:3: registry #1: name is required`},
		{"missing api_url", "registries:\n- name: a\n  prefix: a.io\n", `registries.conf:2:3: registry "a": api_url is required`},
		{"missing prefix suggests host", "registries:\n- name: a\n  api_url: https://A.io:5000/x\n", `registries.conf:2:3: registry "a": prefix is required (e.g. prefix: a.io:5000)`},
		{"api_url scheme", "registries:\n- name: a\n  api_url: ftp://a.io\n  prefix: a.io\n", `registries.conf:3:12: registry "a": api_url: want an http:// or https:// URL, got scheme "ftp"`},
		{"api_url without scheme", "registries:\n- name: a\n  api_url: a.io\n  prefix: a.io\n", `registries.conf:3:12: registry "a": api_url: want an http://`},
		{"api_url no host", "registries:\n- name: a\n  api_url: https://\n  prefix: a.io\n", `registries.conf:3:12: registry "a": api_url: URL has no host`},
		{"api_url with credentials", "registries:\n- name: a\n  api_url: https://u:hunter2@a.io\n  prefix: a.io\n", `registries.conf:3:12: registry "a": api_url: must not contain credentials`},
		{"api_url list", "registries:\n- name: a\n  api_url: [x]\n  prefix: a.io\n", `registries.conf:3:12: registry "a": api_url: want a single value, got a list`},
		{"prefix with scheme", "registries:\n- name: a\n  api_url: https://a.io\n  prefix: https://a.io\n", `registries.conf:4:11: registry "a": prefix: "https://a.io": write host[/path] without a scheme`},
		{"prefix bad host", "registries:\n- name: a\n  api_url: https://a.io\n  prefix: a_b c\n", `registries.conf:4:11: registry "a": prefix: "a_b c": want host[:port][/path]`},
		{"prefix empty segment", "registries:\n- name: a\n  api_url: https://a.io\n  prefix: a.io//x\n", `registries.conf:4:11: registry "a": prefix: "a.io//x": invalid path segment ""`},
		{"duplicate prefix", "registries:\n- {name: a, api_url: https://a.io, prefix: a.io}\n- {name: b, api_url: https://a.io, prefix: A.io/}\n",
			`registries.conf:3:44: registry "b": prefix "a.io" is already used by registry "a" (line 2)`},
		{"two defaults", "registries:\n- {name: a, api_url: https://a.io, prefix: a.io, default: true}\n- {name: b, api_url: https://b.io, prefix: b.io, default: yes}\n",
			`registries.conf:3:59: registry "b": only one registry may be the default; registry "a" (line 2) already is`},
		{"credsexpire garbage", "registries:\n- name: a\n" + ok + "  credsexpire: soon\n", `registries.conf:5:16: registry "a": credsexpire: "soon": want a duration`},
		{"credsexpire negative", "registries:\n- name: a\n" + ok + "  credsexpire: -1h\n", `registries.conf:5:16: registry "a": credsexpire: "-1h": must not be negative`},
		{"credsexpire negative seconds", "registries:\n- name: a\n" + ok + "  credsexpire: -5\n", `registries.conf:5:16: registry "a": credsexpire: "-5": out of range`},
		{"tagsortmode", "registries:\n- name: a\n" + ok + "  tagsortmode: newest\n", `registries.conf:5:16: registry "a": tagsortmode: "newest": want none, latest-first or latest-last`},
		{"limit negative", "registries:\n- name: a\n" + ok + "  limit: -1\n", `registries.conf:5:10: registry "a": limit: "-1": must not be negative`},
		{"limit text", "registries:\n- name: a\n" + ok + "  limit: fast\n", `registries.conf:5:10: registry "a": limit: "fast": want a number`},
		{"limit infinite", "registries:\n- name: a\n" + ok + "  limit: .inf\n", `registries.conf:5:10: registry "a": limit: ".inf": want a number`},
		{"insecure not bool", "registries:\n- name: a\n" + ok + "  insecure: maybe\n", `registries.conf:5:13: registry "a": insecure: want true or false, got "maybe"`},
		{"ping not bool", "registries:\n- name: a\n" + ok + "  ping: 3\n", `registries.conf:5:9: registry "a": ping: want true or false`},
		{"credentials unknown form", "registries:\n- name: a\n" + ok + "  credentials: user:hunter2\n", `registries.conf:5:16: registry "a": credentials: invalid credential reference: unknown form`},
		{"credentials ext relative", "registries:\n- name: a\n" + ok + "  credentials: ext:auth.sh\n", `registries.conf:5:16: registry "a": credentials: invalid credential reference "ext:auth.sh": the script must be given as an absolute path`},
		{"credentials secret without key", "registries:\n- name: a\n" + ok + "  credentials: secret:ns/name\n", `registries.conf:5:16: registry "a": credentials: invalid credential reference "secret:ns/name": want secret:namespace/name#key`},
		{"credentials pullsecret without namespace", "registries:\n- name: a\n" + ok + "  credentials: pullsecret:name\n", `registries.conf:5:16: registry "a": credentials: invalid credential reference "pullsecret:name"`},
		{"credentials env bad name", "registries:\n- name: a\n" + ok + "  credentials: env:1X\n", `registries.conf:5:16: registry "a": credentials: invalid credential reference "env:1X"`},
		{"ca_file missing", "registries:\n- name: a\n" + ok + "  ca_file: /nonexistent/ca.pem\n", `registries.conf:5:12: registry "a": ca_file: cannot read: open /nonexistent/ca.pem`},
		{"ca_data garbage", "registries:\n- name: a\n" + ok + "  ca_data: not a certificate\n", `registries.conf:5:12: registry "a": ca_data: holds no PEM certificate`},
		{"defaultns bad", "registries:\n- name: a\n" + ok + "  defaultns: a b\n", `registries.conf:5:14: registry "a": defaultns: "a b": want a namespace`},
		{"name empty", "registries:\n- name: ''\n" + ok, `registries.conf:2:9: registry #1: name: must not be empty`},
		{"non-string key", "registries:\n- ? [a]\n  : b\n", `registries.conf:2:5: registry #1: keys must be strings`},
		{"syntax error", "registries:\n- name: a\n   bad: [\n", `~registries.conf:3: YAML syntax:`},
		{"tab indentation", "registries:\n\t- name: a\n", `~registries.conf:2: YAML syntax:`},
		{"two documents", "registries: []\n---\nregistries: []\n", `registries.conf:2:1: more than one YAML document`},
		{"invalid utf-8", "registries:\n- name: \xff\n", `~registries.conf:2: YAML syntax:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			first, _, _ := strings.Cut(err.Error(), "\n")
			if sub, ok := strings.CutPrefix(tt.want, "~"); ok {
				if !strings.Contains(first, sub) {
					t.Errorf("error = %q, want it to contain %q", first, sub)
				}
			} else if !strings.HasPrefix(first, tt.want) {
				t.Errorf("error = %q\nwant prefix %q", first, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error reveals a password: %v", err)
			}
		})
	}
}

func TestParseReportsSeveralErrors(t *testing.T) {
	in := "registries:\n- name: a\n  api_ulr: x\n  prefix: a.io\n- name: b\n  limit: -2\n"
	_, err := Parse([]byte(in))
	if err == nil {
		t.Fatal("want errors")
	}
	var perr *Error
	if !errors.As(err, &perr) || perr.Line != 3 {
		t.Errorf("errors.As first error = %+v, want line 3", perr)
	}
	for _, want := range []string{`:3:3: registry "a": unknown key "api_ulr"`, `registry "a": api_url is required`, `:6:10: registry "b": limit`, `registry "b": prefix is required`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors %q lack %q", err, want)
		}
	}
}

func TestLoad(t *testing.T) {
	path := writeFile(t, "registries.conf", "registries:\n- name: a\n  api_url: https://a.io\n  prefix: a.io\n  bogus: 1\n")
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":5:3: ") {
		t.Fatalf("Load error = %v, want it to start with the path and position", err)
	}
	good := writeFile(t, "registries.conf", "registries:\n- {name: a, api_url: https://a.io, prefix: a.io}\n")
	cfg, err := Load(good)
	if err != nil || len(cfg.Registries) != 1 {
		t.Fatalf("Load = %+v, %v", cfg, err)
	}
	if _, err := Load(t.TempDir() + "/missing"); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("missing file: err = %v, want an I/O error that is not ErrInvalid", err)
	}
}
