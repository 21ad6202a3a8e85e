package registryconf

import (
	"regexp"
	"strings"
	"testing"
)

// errLine is the position every error line must start with.
var errLine = regexp.MustCompile(`^registries\.conf:[1-9][0-9]*(:[1-9][0-9]*)?: `)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"registries: []\n",
		"registries:\n- name: a\n  api_url: https://a.io\n  prefix: a.io/x\n  credentials: secret:ns/n#k\n  credsexpire: 1h\n  limit: 3\n  tagsortmode: latest-last\n  ping: yes\n",
		"registries:\n- {name: a, api_url: https://a.io, prefix: a.io, default: true}\n- {name: b, api_url: https://b.io, prefix: a.io, default: true}\n",
		"registries:\n- &x {name: a}\n- *x\n",
		"registries: [[], {}, ~, 1]\n",
		"a: &a [*a]\n",
		"registries:\n\t- x\n",
		"---\n...\n---\n",
		"registries:\n- name: \xff\n",
		"registries:\n- <<: {name: a}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !errLine.MatchString(line) {
					t.Fatalf("error line without position: %q (input %q)", line, data)
				}
			}
			return
		}
		for _, r := range cfg.Registries {
			if r.Name == "" || r.APIURL == "" || r.Prefix == "" || r.TagSortMode == "" {
				t.Fatalf("accepted incomplete entry %+v", r)
			}
			if got := cfg.Lookup(r.Host(), strings.TrimPrefix(strings.TrimPrefix(r.Prefix, r.Host()), "/")); got.Prefix != r.Prefix {
				t.Fatalf("Lookup of own prefix %q returned %q", r.Prefix, got.Prefix)
			}
		}
	})
}
