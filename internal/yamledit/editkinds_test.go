package yamledit

import (
	"bytes"
	"errors"
	"testing"
)

func pluginMerge(env ...EnvVar) edit {
	return func(d []byte) ([]byte, bool, error) { return MergePluginOverride(d, env) }
}

func tagParam(name, value string) HelmParam {
	return HelmParam{Name: name, Value: value, ForceString: true}
}

// editRow is one edit of a file: the exact output, or the error wanted.
type editRow struct {
	name, in string
	op       edit
	want     string
	err      error
}

// runEditRows applies each row's edit. A successful edit must report
// changed exactly when the output differs; a failed one returns no output.
func runEditRows(t *testing.T, rows []editRow) {
	t.Helper()
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := tt.op([]byte(tt.in))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if out != nil || changed {
					t.Errorf("failed edit returned %q, changed=%v", out, changed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("got\n%q\nwant\n%q", out, tt.want)
			}
			if changed != !bytes.Equal(out, []byte(tt.in)) {
				t.Errorf("changed = %v, output differs = %v", changed, !bytes.Equal(out, []byte(tt.in)))
			}
		})
	}
}

func TestHelmEditKinds(t *testing.T) {
	runEditRows(t, []editRow{
		// comments
		{name: "line comment after value kept", in: "a: v1 # current\n", op: helmSet("a", "v2"), want: "a: v2 # current\n"},
		{name: "head and foot comments kept", in: "# head\na:\n  # above\n  tag: v1\n  # below\nb: 1\n", op: helmSet("a.tag", "v2"),
			want: "# head\na:\n  # above\n  tag: v2\n  # below\nb: 1\n"},
		{name: "hash inside a quoted value is not a comment", in: "a: 'x #y' # c\n", op: helmSet("a", "z"), want: "a: 'z' # c\n"},
		{name: "new key goes before the mapping's trailing comment", in: "a:\n  x: 1\n  # trailing\nb: 2\n",
			op: helmSet("a.y", "v"), want: "a:\n  x: 1\n  y: v\n  # trailing\nb: 2\n"},
		{name: "comment only file", in: "# nothing yet\n", op: helmSet("image.tag", "v1"), want: "# nothing yet\nimage:\n  tag: v1\n"},

		// anchors and aliases
		{name: "anchored scalar without aliases", in: "a: &t v1\n", op: helmSet("a", "v2"), want: "a: &t v2\n"},
		{name: "anchored mapping without aliases", in: "a: &m\n  tag: v1\n", op: helmSet("a.tag", "v2"), want: "a: &m\n  tag: v2\n"},
		{name: "merged key gets a local override, the anchor stays", in: "base: &b\n  tag: v1\napp:\n  <<: *b\n", op: helmSet("app.tag", "v2"),
			want: "base: &b\n  tag: v1\napp:\n  <<: *b\n  tag: v2\n"},
		{name: "merge source itself is shared", in: "base: &b\n  tag: v1\napp:\n  <<: *b\n", op: helmSet("base.tag", "v2"), err: ErrAlias},
		{name: "merged key overridden locally is editable", in: "base: &b\n  tag: v1\napp:\n  <<: *b\n  tag: v3\n", op: helmSet("app.tag", "v4"),
			want: "base: &b\n  tag: v1\napp:\n  <<: *b\n  tag: v4\n"},
		{name: "alias as a sequence item", in: "x: &i v1\nl:\n- *i\n", op: helmSet("l[0]", "v2"), err: ErrAlias},
		{name: "tag with anchor and explicit tag", in: "a: &t !!str v1\n", op: helmSet("a", "v2"), want: "a: &t !!str v2\n"},

		// flow style
		{name: "flow mapping value", in: "image: {repository: reg/app, tag: v1}\n", op: helmSet("image.tag", "v2"), want: "image: {repository: reg/app, tag: v2}\n"},
		{name: "flow value needing quotes", in: "image: {tag: v1}\n", op: helmSet("image.tag", "a,b"), want: "image: {tag: \"a,b\"}\n"},
		{name: "flow value with colon", in: "l: [a, b]\n", op: helmSet("l[0]", "x:y"), want: "l: [\"x:y\", b]\n"},
		{name: "nested flow in block", in: "a:\n  b: [{c: v1}]\n", op: helmSet("a.b[0].c", "v2"), want: "a:\n  b: [{c: v2}]\n"},
		{name: "flow sequence no append", in: "l: [a]\n", op: helmSet("l[1]", "b"), err: ErrKeyNotFound},
		{name: "new key in flow mapping refused", in: "image: {tag: v1}\n", op: helmSet("image.name", "x"), err: ErrUnsupported},

		// quoting
		{name: "double quoted kept", in: "a: \"v1\"\n", op: helmSet("a", "v2"), want: "a: \"v2\"\n"},
		{name: "single quoted with apostrophe", in: "a: 'v1'\n", op: helmSet("a", "it's"), want: "a: 'it''s'\n"},
		{name: "plain number becomes quoted string", in: "a: 1.0\n", op: helmSet("a", "1.1"), want: "a: \"1.1\"\n"},
		{name: "plain bool-like value quoted", in: "a: v1\n", op: helmSet("a", "true"), want: "a: \"true\"\n"},
		{name: "null-like value quoted", in: "a: v1\n", op: helmSet("a", "~"), want: "a: \"~\"\n"},
		{name: "leading dash quoted", in: "a: v1\n", op: helmSet("a", "-x"), want: "a: \"-x\"\n"},
		{name: "value with quote in double quotes", in: "a: \"v1\"\n", op: helmSet("a", `say "hi"`), want: "a: \"say \\\"hi\\\"\"\n"},
		{name: "same string in other style is unchanged", in: "a: 'v1'\n", op: helmSet("a", "v1"), want: "a: 'v1'\n"},
		{name: "number equal as text still rewritten as string", in: "a: 10\n", op: helmSet("a", "10"), want: "a: \"10\"\n"},
		{name: "literal block replaced", in: "a: |\n  one\n  two\nb: 1\n", op: helmSet("a", "v"), want: "a: v\nb: 1\n"},
		{name: "folded block replaced", in: "a: >-\n  one\n  two\n", op: helmSet("a", "x y"), want: "a: x y\n"},
		{name: "empty value filled", in: "a:\nb: 1\n", op: helmSet("a", "v"), want: "a: v\nb: 1\n"},
		{name: "null value filled", in: "a: null\n", op: helmSet("a", "v"), want: "a: v\n"},
		{name: "empty value with anchor refused", in: "a: &x\nb: 1\n", op: helmSet("a", "v"), err: ErrUnsupported},
		{name: "quoted key", in: "\"a.b\":\n  tag: v1\n", op: helmSet(`a\.b.tag`, "v2"), want: "\"a.b\":\n  tag: v2\n"},

		// CRLF
		{name: "crlf replace", in: "a:\r\n  tag: v1\r\n", op: helmSet("a.tag", "v2"), want: "a:\r\n  tag: v2\r\n"},
		{name: "crlf new key", in: "a:\r\n  tag: v1\r\n", op: helmSet("a.name", "x"), want: "a:\r\n  tag: v1\r\n  name: x\r\n"},
		{name: "crlf new nested keys", in: "a: 1\r\n", op: helmSet("b.c.d", "x"), want: "a: 1\r\nb:\r\n  c:\r\n    d: x\r\n"},
		{name: "crlf without final break", in: "a: 1\r\nb: 2", op: helmSet("c", "3"), want: "a: 1\r\nb: 2\r\nc: \"3\""},
		{name: "crlf empty value", in: "a:\r\nb: 1\r\n", op: helmSet("a", "v"), want: "a: v\r\nb: 1\r\n"},

		// duplicate keys
		{name: "duplicate top-level key", in: "a: 1\nb: 2\na: 3\n", op: helmSet("b", "x"), err: ErrParse},
		{name: "duplicate nested key", in: "a:\n  t: 1\n  t: 2\n", op: helmSet("a.t", "x"), err: ErrParse},
		{name: "duplicate key in second document", in: "a: 1\n---\nb: 1\nb: 2\n", op: helmSet("a", "x"), err: ErrParse},
		{name: "same key in sibling mappings", in: "a:\n  t: 1\nb:\n  t: 2\n", op: helmSet("b.t", "x"), want: "a:\n  t: 1\nb:\n  t: x\n"},

		// deep paths
		{name: "deep existing", in: "a:\n  b:\n    c:\n      d:\n        e: v1\n", op: helmSet("a.b.c.d.e", "v2"), want: "a:\n  b:\n    c:\n      d:\n        e: v2\n"},
		{name: "deep create under existing prefix", in: "a:\n  b:\n    x: 1\n", op: helmSet("a.b.c.d", "v"), want: "a:\n  b:\n    x: 1\n    c:\n      d: v\n"},
		{name: "deep create with 4-space indent", in: "a:\n    x: 1\n", op: helmSet("a.b.c", "v"), want: "a:\n    x: 1\n    b:\n        c: v\n"},
		{name: "deep create appends after nested block", in: "a:\n  x:\n    y: 1\nb: 2\n", op: helmSet("a.z", "v"), want: "a:\n  x:\n    y: 1\n  z: v\nb: 2\n"},
		{name: "escaped dots in the middle", in: "ann:\n  example.com/x:\n    y: 1\n", op: helmSet(`ann.example\.com/x.y`, "2"), want: "ann:\n  example.com/x:\n    y: \"2\"\n"},
		{name: "path through a scalar", in: "a: x\n", op: helmSet("a.b.c", "v"), err: ErrNotMapping},
		{name: "path through a list by key", in: "a:\n- x\n", op: helmSet("a.b", "v"), err: ErrNotMapping},
		{name: "first document holding the key", in: "a:\n  t: 1\n---\na:\n  t: 2\n", op: helmSet("a.t", "x"), want: "a:\n  t: x\n---\na:\n  t: 2\n"},
		{name: "longest prefix document gets the new key", in: "x: 1\n---\na:\n  b: 1\n", op: helmSet("a.c", "v"), want: "x: 1\n---\na:\n  b: 1\n  c: v\n"},

		// arrays
		{name: "block sequence item", in: "l:\n- a\n- b\n", op: helmSet("l[1]", "c"), want: "l:\n- a\n- c\n"},
		{name: "indented sequence of mappings", in: "l:\n  - name: a\n    image: x:1\n", op: helmSet("l[0].image", "x:2"), want: "l:\n  - name: a\n    image: x:2\n"},
		{name: "nested sequences", in: "l:\n- - a\n  - b\n", op: helmSet("l[0][1]", "c"), want: "l:\n- - a\n  - c\n"},
		{name: "new key in a sequence item", in: "l:\n- name: a\n- name: b\n", op: helmSet("l[1].tag", "v"), want: "l:\n- name: a\n- name: b\n  tag: v\n"},
		{name: "new key in a first sequence item", in: "l:\n- name: a\n- name: b\n", op: helmSet("l[0].tag", "v"), want: "l:\n- name: a\n  tag: v\n- name: b\n"},
		{name: "index on a mapping", in: "l:\n  a: 1\n", op: helmSet("l[0]", "v"), err: ErrNotMapping},
		{name: "sequence item is a mapping", in: "l:\n- a: 1\n", op: helmSet("l[0]", "v"), err: ErrNotScalar},
		{name: "leading zeros in index", in: "l:\n- a\n- b\n", op: helmSet("l[001]", "c"), want: "l:\n- a\n- c\n"},
	})
}

func TestKustomizeEditKinds(t *testing.T) {
	runEditRows(t, []editRow{
		// comments
		{name: "comments around the entry kept", in: "images:\n# ours\n- name: app # the app\n  newTag: v1 # pinned\n# end\n", op: kustomizeSet("app", "", "v2", ""),
			want: "images:\n# ours\n- name: app # the app\n  newTag: v2 # pinned\n# end\n"},
		{name: "new field before a trailing comment", in: "images:\n- name: app\n  newTag: v1\n# other entries below\n- name: b\n", op: kustomizeSet("app", "", "", digestA),
			want: "images:\n- name: app\n  newTag: v1\n  digest: " + digestA + "\n# other entries below\n- name: b\n"},
		// anchors
		{name: "anchored entry referenced", in: "images:\n- &e\n  name: app\n  newTag: v1\nother: *e\n", op: kustomizeSet("app", "", "v2", ""), err: ErrAlias},
		{name: "anchored list without aliases", in: "images: &l\n- name: app\n  newTag: v1\n", op: kustomizeSet("app", "", "v2", ""), want: "images: &l\n- name: app\n  newTag: v2\n"},
		// flow
		{name: "flow entry new field refused", in: "images:\n- {name: app, newTag: v1}\n", op: kustomizeSet("app", "", "", digestA), err: ErrUnsupported},
		{name: "flow images list append refused", in: "images: [{name: b}]\n", op: kustomizeSet("app", "", "v1", ""), err: ErrUnsupported},
		// quoting
		{name: "numeric tag quoted", in: "images:\n- name: app\n  newTag: v1\n", op: kustomizeSet("app", "", "1.10", ""), want: "images:\n- name: app\n  newTag: \"1.10\"\n"},
		{name: "quoted name matched", in: "images:\n- name: \"app\"\n  newTag: 'v1'\n", op: kustomizeSet("app", "", "v2", ""), want: "images:\n- name: \"app\"\n  newTag: 'v2'\n"},
		// CRLF
		{name: "crlf new entry", in: "images:\r\n- name: b\r\n", op: kustomizeSet("app", "", "v1", ""), want: "images:\r\n- name: b\r\n- name: app\r\n  newTag: v1\r\n"},
		{name: "crlf new images key", in: "resources:\r\n- a.yaml\r\n", op: kustomizeSet("app", "reg/app", "v1", ""),
			want: "resources:\r\n- a.yaml\r\nimages:\r\n- name: app\r\n  newName: reg/app\r\n  newTag: v1\r\n"},
		// duplicate keys
		{name: "duplicate images key", in: "images: []\nimages: []\n", op: kustomizeSet("app", "", "v1", ""), err: ErrParse},
		{name: "duplicate field in the entry", in: "images:\n- name: app\n  newTag: v1\n  newTag: v2\n", op: kustomizeSet("app", "", "v3", ""), err: ErrParse},
		// layout
		{name: "indented list new entry", in: "images:\n  - name: b\n    newTag: v1\n", op: kustomizeSet("app", "", "v1", ""), want: "images:\n  - name: b\n    newTag: v1\n  - name: app\n    newTag: v1\n"},
		{name: "new images key follows indented lists", in: "resources:\n  - a.yaml\n", op: kustomizeSet("app", "", "v1", ""), want: "resources:\n  - a.yaml\nimages:\n  - name: app\n    newTag: v1\n"},
		{name: "images is null", in: "images:\n", op: kustomizeSet("app", "", "v1", ""), err: ErrUnsupported},
		{name: "entry without name skipped", in: "images:\n- newTag: v1\n- name: app\n  newTag: v1\n", op: kustomizeSet("app", "", "v2", ""), want: "images:\n- newTag: v1\n- name: app\n  newTag: v2\n"},
		{name: "digest and tag together", in: "images:\n- name: app\n  newTag: v1\n  digest: sha256:11\n", op: kustomizeSet("app", "", "v2", digestA),
			want: "images:\n- name: app\n  newTag: v2\n  digest: " + digestA + "\n"},
		{name: "newName changed", in: "images:\n- name: app\n  newName: reg/old\n", op: kustomizeSet("app", "reg/new", "", ""), want: "images:\n- name: app\n  newName: reg/new\n"},
		{name: "crlf comment-only kustomization", in: "# k\r\n", op: kustomizeSet("app", "", "v1", ""), want: "# k\r\nimages:\r\n- name: app\r\n  newTag: v1\r\n"},
		{name: "kustomization without a final break", in: "resources: []", op: kustomizeSet("app", "", "v1", ""), want: "resources: []\nimages:\n- name: app\n  newTag: v1"},
		{name: "null kustomization document", in: "---\n", op: kustomizeSet("app", "", "v1", ""), err: ErrNotMapping},
		{name: "digest added to a bare entry", in: "images:\n- name: app\n", op: kustomizeSet("app", "", "", digestA), want: "images:\n- name: app\n  digest: " + digestA + "\n"},
		{name: "control character refused", in: "images: []\n", op: kustomizeSet("app", "", "v\x01", ""), err: ErrInvalidImage},
		{name: "second document ignored", in: "images:\n- name: a\n---\nimages:\n- name: app\n", op: kustomizeSet("app", "", "v1", ""),
			want: "images:\n- name: a\n- name: app\n  newTag: v1\n---\nimages:\n- name: app\n"},
	})
}

func TestOverrideEditKinds(t *testing.T) {
	runEditRows(t, []editRow{
		{name: "comments kept on merge", in: "# managed\nhelm:\n  parameters:\n  - name: image.tag # the tag\n    value: v1\n    forcestring: true\n",
			op: sourceMerge([]HelmParam{tagParam("image.tag", "v2")}), want: "# managed\nhelm:\n  parameters:\n  - name: image.tag # the tag\n    value: v2\n    forcestring: true\n"},
		{name: "top-level order kept", in: "kustomize:\n  images:\n  - a:1\nhelm:\n  valueFiles: [x.yaml]\n",
			op:   sourceMerge([]HelmParam{tagParam("t", "v")}),
			want: "kustomize:\n  images:\n  - a:1\nhelm:\n  valueFiles: [x.yaml]\n  parameters:\n  - name: t\n    value: v\n    forcestring: true\n"},
		{name: "crlf kept", in: "helm:\r\n  parameters:\r\n  - name: t\r\n    value: v1\r\n    forcestring: true\r\n", op: sourceMerge([]HelmParam{tagParam("t", "v2")}),
			want: "helm:\r\n  parameters:\r\n  - name: t\r\n    value: v2\r\n    forcestring: true\r\n"},
		{name: "crlf head comment kept in place", in: "# c\r\nkustomize:\r\n  images:\r\n  - a:1\r\n", op: sourceMerge(nil, "a:2"),
			want: "# c\r\nkustomize:\r\n  images:\r\n  - a:2\r\n"},
		{name: "crlf unchanged returns input", in: "kustomize:\r\n  images:\r\n  - a:1\r\n", op: sourceMerge(nil, "a:1"), want: "kustomize:\r\n  images:\r\n  - a:1\r\n"},
		{name: "crlf broken", in: "helm: [\r\n", op: sourceMerge([]HelmParam{tagParam("t", "v")}), err: ErrParse},
		{name: "empty flow list filled in block layout", in: "helm:\n  parameters: []\n", op: sourceMerge([]HelmParam{tagParam("t", "v")}),
			want: "helm:\n  parameters:\n  - name: t\n    value: v\n    forcestring: true\n"},
		{name: "empty flow mapping filled in block layout", in: "kustomize: {}\n", op: sourceMerge(nil, "a:1"), want: "kustomize:\n  images:\n  - a:1\n"},
		{name: "aliased parameter value refused", in: "x: &v v1\nhelm:\n  parameters:\n  - name: t\n    value: *v\n", op: sourceMerge([]HelmParam{tagParam("t", "v2")}), err: ErrNotScalar},
		{name: "anchors elsewhere kept", in: "x: &v v1\ny: *v\nhelm:\n  parameters: []\n", op: sourceMerge([]HelmParam{tagParam("t", "v2")}),
			want: "x: &v v1\ny: *v\nhelm:\n  parameters:\n  - name: t\n    value: v2\n    forcestring: true\n"},
		{name: "duplicate key refused", in: "helm: {}\nhelm: {}\n", op: sourceMerge([]HelmParam{tagParam("t", "v")}), err: ErrParse},
		{name: "quoted value style kept", in: "helm:\n  parameters:\n  - name: t\n    value: 'v1'\n", op: sourceMerge([]HelmParam{{Name: "t", Value: "v2"}}),
			want: "helm:\n  parameters:\n  - name: t\n    value: 'v2'\n"},
		{name: "kustomize image replaced by original name", in: "kustomize:\n  images:\n  - nginx=reg/nginx:1\n  - other:2\n", op: sourceMerge(nil, "nginx=reg/nginx:1.1"),
			want: "kustomize:\n  images:\n  - nginx=reg/nginx:1.1\n  - other:2\n"},
		{name: "kustomize images is a mapping", in: "kustomize:\n  images: {a: b}\n", op: sourceMerge(nil, "a:1"), err: ErrNotMapping},
		{name: "parameter value is a mapping", in: "helm:\n  parameters:\n  - name: t\n    value: {a: b}\n", op: sourceMerge([]HelmParam{tagParam("t", "v")}), err: ErrNotScalar},
		{name: "invalid UTF-8 value", in: "", op: sourceMerge([]HelmParam{{Name: "t", Value: "\xff"}}), err: ErrInvalidValue},
		{name: "plugin new file", in: "", op: pluginMerge(EnvVar{"A", "1"}, EnvVar{"B", "x"}, EnvVar{"A", "2"}),
			want: "plugin:\n  env:\n  - name: A\n    value: \"2\"\n  - name: B\n    value: x\n"},
		{name: "plugin entry kept in place", in: "plugin:\n  name: cmp # ours\n  env:\n  - name: B\n    value: x\n  - name: A\n    value: \"1\"\n", op: pluginMerge(EnvVar{"A", "2"}, EnvVar{"C", "y"}),
			want: "plugin:\n  name: cmp # ours\n  env:\n  - name: B\n    value: x\n  - name: A\n    value: \"2\"\n  - name: C\n    value: y\n"},
		{name: "plugin crlf kept", in: "plugin:\r\n  env:\r\n  - name: A\r\n    value: x\r\n", op: pluginMerge(EnvVar{"A", "y"}), want: "plugin:\r\n  env:\r\n  - name: A\r\n    value: y\r\n"},
		{name: "plugin unchanged", in: "plugin:\n  env:\n  - {name: A, value: x}\n", op: pluginMerge(EnvVar{"A", "x"}), want: "plugin:\n  env:\n  - {name: A, value: x}\n"},
		{name: "plugin empty name", in: "", op: pluginMerge(EnvVar{"", "x"}), err: ErrInvalidValue},
		{name: "plugin env is a mapping", in: "plugin:\n  env: {A: x}\n", op: pluginMerge(EnvVar{"A", "y"}), err: ErrNotMapping},
		{name: "plugin two documents", in: "a: 1\n---\nb: 2\n", op: pluginMerge(EnvVar{"A", "y"}), err: ErrUnsupported},
		{name: "plugin duplicate key", in: "plugin: {}\nplugin: {}\n", op: pluginMerge(EnvVar{"A", "y"}), err: ErrParse},
		{name: "plugin root is a list", in: "- a\n", op: pluginMerge(EnvVar{"A", "y"}), err: ErrNotMapping},
	})
}
