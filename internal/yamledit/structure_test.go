package yamledit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestVerifyRefusesStrayEdits feeds the verifier splices that do not
// match the intended tree: it must refuse them rather than return the text.
func TestVerifyRefusesStrayEdits(t *testing.T) {
	src := "a: 1\nb: two\n"
	tests := []struct {
		name       string
		start, end int
		text       string
		changed    bool
		err        string // "" when the splice must be accepted
	}{
		{"another value changed", 8, 11, "three", false, "differs from the intended document"},
		{"key renamed", 5, 6, "c", false, "differs from the intended document"},
		{"type changed", 3, 4, "'1'", false, "differs from the intended document"},
		{"output does not parse", 0, 0, "[", false, "does not parse"},
		{"duplicate key introduced", 5, 6, "a", false, "does not parse"},
		{"comment added", 4, 4, " # note", true, ""},
		{"same bytes", 3, 4, "1", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newEditor([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			e.add(tt.start, tt.end, tt.text)
			out, changed, err := e.finish()
			if tt.err != "" {
				if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want ErrVerify: %s", err, tt.err)
				}
				if out != nil || changed {
					t.Errorf("refused edit returned %q, %v", out, changed)
				}
				return
			}
			if err != nil || changed != tt.changed {
				t.Fatalf("finish = %q, %v, %v", out, changed, err)
			}
			want := src[:tt.start] + tt.text + src[tt.end:]
			if string(out) != want {
				t.Errorf("out = %q, want %q", out, want)
			}
		})
	}
}

func TestMultiDocumentEdits(t *testing.T) {
	runEditRows(t, []editRow{
		{name: "later document holds the key", in: "a: 1\n---\nimage:\n  tag: v1\n", op: helmSet("image.tag", "v2"), want: "a: 1\n---\nimage:\n  tag: v2\n"},
		{name: "key read through a merge key in the second document", in: "x: 1\n---\nb: &b\n  t: v1\nc:\n  <<: *b\n", op: helmSet("c.t", "v2"),
			want: "x: 1\n---\nb: &b\n  t: v1\nc:\n  <<: *b\n  t: v2\n"},
		{name: "tie on prefix length goes to the first", in: "image:\n  a: 1\n---\nimage:\n  b: 1\n", op: helmSet("image.tag", "v"),
			want: "image:\n  a: 1\n  tag: v\n---\nimage:\n  b: 1\n"},
		{name: "document where the path is blocked is skipped", in: "image: x\n---\nimage:\n  a: 1\n", op: helmSet("image.tag", "v"),
			want: "image: x\n---\nimage:\n  a: 1\n  tag: v\n"},
		{name: "every document blocked gives the first error", in: "image: x\n---\nimage: [1]\n", op: helmSet("image.tag", "v"), err: ErrNotMapping},
		{name: "empty documents skipped", in: "---\n---\nimage:\n  tag: v1\n", op: helmSet("image.tag", "v2"), want: "---\n---\nimage:\n  tag: v2\n"},
		{name: "document end marker", in: "image:\n  tag: v1\n...\n---\nb: 1\n", op: helmSet("image.name", "n"), want: "image:\n  tag: v1\n  name: n\n...\n---\nb: 1\n"},
		{name: "insertion stops at the next document", in: "image:\n  tag: v1\n---\n  other: 1\n", op: helmSet("image.name", "n"), want: "image:\n  tag: v1\n  name: n\n---\n  other: 1\n"},
		{name: "scalar root documents only", in: "hello\n---\nworld\n", op: helmSet("a", "b"), err: ErrNotMapping},
		{name: "kustomization in the first document only", in: "resources: []\n---\nimages:\n- name: app\n", op: kustomizeSet("app", "", "v1", ""),
			want: "resources: []\nimages:\n- name: app\n  newTag: v1\n---\nimages:\n- name: app\n"},
	})
}

func TestCreatedKeys(t *testing.T) {
	runEditRows(t, []editRow{
		{name: "numeric key quoted", in: "ports:\n  http: 1\n", op: helmSet("ports.8080", "x"), want: "ports:\n  http: 1\n  \"8080\": x\n"},
		{name: "bool-like key quoted", in: "a: 1\n", op: helmSet("flags.true", "x"), want: "a: 1\nflags:\n  \"true\": x\n"},
		{name: "key with colon and space quoted", in: "a: 1\n", op: helmSet("b: c", "x"), want: "a: 1\n\"b: c\": x\n"},
		{name: "key with dots escaped", in: "ann:\n  x: 1\n", op: helmSet(`ann.example\.com/tag`, "v"), want: "ann:\n  x: 1\n  example.com/tag: v\n"},
		{name: "unicode key", in: "a: 1\n", op: helmSet("größe", "x"), want: "a: 1\ngröße: x\n"},
		{name: "after a block scalar", in: "a:\n  notes: |\n    line\n\n    more\nb: 1\n", op: helmSet("a.tag", "v"), want: "a:\n  notes: |\n    line\n\n    more\n  tag: v\nb: 1\n"},
		{name: "after a compact sequence", in: "a:\n  l:\n  - x\n  - y\nb: 1\n", op: helmSet("a.tag", "v"), want: "a:\n  l:\n  - x\n  - y\n  tag: v\nb: 1\n"},
		{name: "after a line comment", in: "a:\n  x: 1 # one\nb: 1\n", op: helmSet("a.y", "2"), want: "a:\n  x: 1 # one\n  y: \"2\"\nb: 1\n"},
		{name: "into a mapping nested in a sequence item", in: "l:\n  - name: a\n    image:\n      repository: r\n", op: helmSet("l[0].image.tag", "v"),
			want: "l:\n  - name: a\n    image:\n      repository: r\n      tag: v\n"},
		{name: "under a root without a final line break", in: "a:\n  x: 1", op: helmSet("a.y", "v"), want: "a:\n  x: 1\n  y: v"},
		{name: "under a null mapping value refused", in: "a:\nb: 1\n", op: helmSet("a.x", "v"), err: ErrNotMapping},
		{name: "value with a leading space quoted", in: "a: 1\n", op: helmSet("b", " v"), want: "a: 1\nb: \" v\"\n"},
		{name: "empty value quoted", in: "a: 1\n", op: helmSet("b", ""), want: "a: 1\nb: \"\"\n"},
		{name: "created list index refused", in: "a: 1\n", op: helmSet("b[0]", "v"), err: ErrKeyNotFound},
		{name: "created list index refused in an empty file", in: "", op: helmSet("b[0]", "v"), err: ErrKeyNotFound},
		{name: "comment-only file without final break", in: "# c", op: helmSet("a", "v"), want: "# c\na: v\n"},
		{name: "crlf comment-only file", in: "# c\r\n", op: helmSet("a.b", "v"), want: "# c\r\na:\r\n  b: v\r\n"},
	})
}

func TestKustomizeReads(t *testing.T) {
	tests := []struct {
		name, in, image string
		want            KustomizationImage
		found           bool
		err             error
	}{
		{"entry fields through aliases", "t: &t v1\nimages:\n- name: app\n  newTag: *t\n", "app", KustomizationImage{Name: "app", NewTag: "v1"}, true, nil},
		{"images through an alias", "list: &l\n- name: app\n  digest: sha256:ab\nimages: *l\n", "app", KustomizationImage{Name: "app", Digest: "sha256:ab"}, true, nil},
		{"images through a merge key", "base: &b\n  images:\n  - name: app\n    newTag: v2\n<<: *b\n", "app", KustomizationImage{Name: "app", NewTag: "v2"}, true, nil},
		{"non-scalar field ignored", "images:\n- name: app\n  newTag: [v1]\n", "app", KustomizationImage{Name: "app"}, true, nil},
		{"images is not a list", "images: {app: v1}\n", "app", KustomizationImage{}, false, nil},
		{"entry is a scalar", "images:\n- app\n", "app", KustomizationImage{}, false, nil},
		{"no document", "# only a comment\n", "app", KustomizationImage{}, false, nil},
		{"null document is not a kustomization", "---\n", "app", KustomizationImage{}, false, ErrNotMapping},
		{"duplicate key", "images: []\nimages: []\n", "app", KustomizationImage{}, false, ErrParse},
		{"scalar root", "app\n", "app", KustomizationImage{}, false, ErrNotMapping},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := GetKustomizeImage([]byte(tt.in), tt.image)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || found != tt.found || got != tt.want {
				t.Fatalf("got %+v, %v, %v; want %+v, %v", got, found, err, tt.want, tt.found)
			}
		})
	}
}

// TestDocMixedEdits: Helm and Kustomize edits of one Doc give what the
// one-edit functions give applied one after the other.
func TestDocMixedEdits(t *testing.T) {
	in := "image:\n  tag: v1\nimages:\n- name: app\n  newTag: v1\n"
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte(in)
	steps := []struct {
		doc func() (bool, error)
		fn  edit
	}{
		{func() (bool, error) { return d.SetKustomizeImage("app", "reg/app", "v2", "") }, kustomizeSet("app", "reg/app", "v2", "")},
		{func() (bool, error) { return d.SetHelmValue("image.tag", "v2") }, helmSet("image.tag", "v2")},
		{func() (bool, error) { return d.SetKustomizeImage("other", "", "1.0", "") }, kustomizeSet("other", "", "1.0", "")},
		{func() (bool, error) { return d.SetHelmValue("image.name", "reg/app") }, helmSet("image.name", "reg/app")},
		{func() (bool, error) { return d.SetKustomizeImage("app", "", "v3", digestA) }, kustomizeSet("app", "", "v3", digestA)},
	}
	for i, s := range steps {
		changed, err := s.doc()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		out, fnChanged, err := s.fn(want)
		if err != nil {
			t.Fatalf("step %d (function): %v", i, err)
		}
		if changed != fnChanged {
			t.Errorf("step %d: Doc changed=%v, function changed=%v", i, changed, fnChanged)
		}
		want = out
	}
	got, err := d.Bytes()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Doc:\n%s\nfunctions:\n%s\nerr %v", got, want, err)
	}
}

// TestEdgeLayouts covers layouts at the edge of what the editor handles:
// each is either edited exactly or refused, never damaged.
func TestEdgeLayouts(t *testing.T) {
	runEditRows(t, []editRow{
		{name: "space before the colon of an empty value", in: "a :\nb: 1\n", op: helmSet("a", "v"), want: "a : v\nb: 1\n"},
		{name: "empty value in a flow mapping", in: "m: {a: , b: 1}\n", op: helmSet("m.a", "v"), want: "m: {a: v , b: 1}\n"},
		{name: "explicit key with empty value refused", in: "? a\n:\nb: 1\n", op: helmSet("a", "v"), err: ErrUnsupported},
		{name: "int tag cannot hold a word", in: "a: !!int 1\n", op: helmSet("a", "v"), err: ErrVerify},
		{name: "custom tag cannot become a string", in: "a: !thing x\n", op: helmSet("a", "v"), err: ErrVerify},
		{name: "tagged empty value refused", in: "a: !!null\nb: 1\n", op: helmSet("a", "v"), err: ErrUnsupported},
		{name: "block scalar with a header comment replaced whole", in: "a: | # c\n  x\nb: 1\n", op: helmSet("a", "v"), want: "a: v\nb: 1\n"},
		{name: "block scalar kept as block is not possible: quoted", in: "a: |\n  x\n", op: helmSet("a", "one\ntwo"), want: "a: \"one\\ntwo\"\n"},
		{name: "block scalar with an indentation indicator", in: "a: |2\n    x\n  y\nb: 1\n", op: helmSet("a", "v"), want: "a: v\nb: 1\n"},
		{name: "block scalar with indicator and chomping", in: "a:\n  t: >-2\n      x\n    y\n  u: 1\n", op: helmSet("a.t", "v"), want: "a:\n  t: v\n  u: 1\n"},
		{name: "block scalar with an indicator in a sequence item", in: "l:\n- |1\n  x\n - y\n- z\n", op: helmSet("l[0]", "v"), want: "l:\n- v\n- z\n"},
		{name: "block scalar in a sequence item", in: "l:\n- |\n  x\n- y\n", op: helmSet("l[0]", "v"), want: "l:\n- v\n- y\n"},
		{name: "block scalar with keep and trailing blank lines", in: "a: |+\n  x\n\nb: 1\n", op: helmSet("a", "v"), want: "a: v\n\nb: 1\n"},
		{name: "value after a tab", in: "a:\tv1\n", op: helmSet("a", "v2"), want: "a:\tv2\n"},
		{name: "document start on the first line", in: "--- \na: v1\n", op: helmSet("a", "v2"), want: "--- \na: v2\n"},
		{name: "inline document start", in: "--- {a: v1}\n", op: helmSet("a", "v2"), want: "--- {a: v2}\n"},
		{name: "BOM kept", in: "\ufeffa: v1\n", op: helmSet("a", "v2"), want: "\ufeffa: v2\n"},
		{name: "BOM and a quoted first value", in: "\ufeff\"a\": 'v1' # c\nb: 1\n", op: helmSet("a", "v2"), want: "\ufeff\"a\": 'v2' # c\nb: 1\n"},
		{name: "BOM file gets a new key", in: "\ufeffa:\n  x: 1\n", op: helmSet("a.y", "2"), want: "\ufeffa:\n  x: 1\n  y: \"2\"\n"},
		{name: "BOM kustomization", in: "\ufeffimages:\n- name: app\n  newTag: v1\n", op: kustomizeSet("app", "", "v2", ""), want: "\ufeffimages:\n- name: app\n  newTag: v2\n"},
		{name: "multi-byte characters before the value", in: "größe: v1 # ü\n", op: helmSet("größe", "v2"), want: "größe: v2 # ü\n"},
		{name: "same value twice in a row", in: "a: v1\nb: v1\n", op: helmSet("b", "v2"), want: "a: v1\nb: v2\n"},
		{name: "override null document", in: "~\n", op: sourceMerge(nil, "a:1"), want: "kustomize:\n  images:\n  - a:1\n"},
		{name: "override null images list", in: "kustomize:\n  images:\n", op: sourceMerge(nil, "a:1"), want: "kustomize:\n  images:\n  - a:1\n"},
		{name: "override unreadable entry left, new one added", in: "kustomize:\n  images:\n  - \"a b\"\n", op: sourceMerge(nil, "a:1"), want: "kustomize:\n  images:\n  - \"a b\"\n  - a:1\n"},
		{name: "override forcestring turned off", in: "helm:\n  parameters:\n  - name: t\n    value: v\n    forcestring: true\n", op: sourceMerge([]HelmParam{{Name: "t", Value: "v"}}),
			want: "helm:\n  parameters:\n  - name: t\n    value: v\n    forcestring: false\n"},
		{name: "override parameter without a value", in: "helm:\n  parameters:\n  - name: t\n", op: sourceMerge([]HelmParam{tagParam("t", "v")}),
			want: "helm:\n  parameters:\n  - name: t\n    value: v\n    forcestring: true\n"},
	})
}

func TestKustomizeFields(t *testing.T) {
	tests := []struct {
		name, image, newName, newTag, digest string
		want                                 []field
	}{
		{"tag only", "app", "", "v1", "", []field{{"newTag", "v1"}}},
		{"kustomize order", "app", "reg/app", "v1", digestA, []field{{"newName", "reg/app"}, {"newTag", "v1"}, {"digest", digestA}}},
		{"digest only", "app", "", "", digestA, []field{{"digest", digestA}}},
		{"empty name", "", "", "v1", "", nil},
		{"nothing to set", "app", "", "", "", nil},
		{"space in the name", "a pp", "", "v1", "", nil},
		{"tab in newName", "app", "reg/\tapp", "v1", "", nil},
		{"newline in the tag", "app", "", "v1\n", "", nil},
		{"NEL in the digest", "app", "", "", "sha256:\u0085", nil},
		{"invalid UTF-8", "app", "", "v\xff", "", nil},
		{"non-breaking space is allowed", "app", "", "v\u00a01", "", []field{{"newTag", "v\u00a01"}}},
	}
	for _, tt := range tests {
		got, err := kustomizeFields(tt.image, tt.newName, tt.newTag, tt.digest)
		if tt.want == nil {
			if !errors.Is(err, ErrInvalidImage) {
				t.Errorf("%s: err = %v, want ErrInvalidImage", tt.name, err)
			}
			continue
		}
		if err != nil || fmtFields(got) != fmtFields(tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func fmtFields(fs []field) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.key + "=" + f.value + ";")
	}
	return b.String()
}

func TestLexicalPaths(t *testing.T) {
	for rel, want := range map[string][2]bool{ // hasDotDot, insideLexically
		"a/b":        {false, true},
		"a/../b":     {true, true},
		"/a/../../b": {true, false},
		"..":         {true, false},
		"a/..b/c":    {false, true},
		"./a/./..":   {true, true},
		"a//../..":   {true, false},
		"":           {false, true},
	} {
		if got := [2]bool{hasDotDot(rel), insideLexically(rel)}; got != want {
			t.Errorf("%q: hasDotDot, insideLexically = %v, want %v", rel, got, want)
		}
	}
	for _, c := range []struct {
		root, p string
		in      bool
	}{
		{"/r", "/r", true},
		{"/r", "/r/a", true},
		{"/r", "/ra", false},
		{"/r", "/", false},
		{"/", "/anything", true},
	} {
		if got := within(c.root, c.p); got != c.in {
			t.Errorf("within(%q, %q) = %v", c.root, c.p, got)
		}
	}
}

// TestErrorsSayWhere: a refused edit says which key, document and line.
func TestErrorsSayWhere(t *testing.T) {
	tests := []struct {
		name, in string
		op       edit
		err      error
		says     []string
	}{
		{"duplicate key", "a: 1\nb:\n  c: 1\n  c: 2\n", helmSet("a", "x"), ErrParse, []string{"document 1", "line 4", `"c"`, "line 3"}},
		{"duplicate key in the second document", "a: 1\n---\nb: 1\nb: 2\n", helmSet("a", "x"), ErrParse, []string{"document 2", "line 4"}},
		{"bad merge", "a: 1\nb:\n  <<: 3\n", helmSet("a", "x"), ErrParse, []string{"line 3", "map merge"}},
		{"bad tag", "a: 1\nb: !!int x\n", helmSet("a", "x"), ErrParse, []string{"line 2"}},
		{"recursive alias", "a: &x [*x]\n", helmSet("b", "x"), ErrParse, []string{"line 1", "*x"}},
		{"path through a scalar", "a:\n  b: x\n", helmSet("a.b.c", "v"), ErrNotMapping, []string{`"a.b.c"`, "line 2", `scalar "x"`}},
		{"index past the end", "a:\n- x\n", helmSet("a[2]", "v"), ErrKeyNotFound, []string{`"a[2]"`, "index 2", "line 2"}},
		{"alias in the path", "x: &m\n  t: 1\ny: *m\n", helmSet("y.t", "v"), ErrAlias, []string{`"y.t"`, "*m", "line 3"}},
		{"shared anchor", "x: &m\n  t: 1\ny: *m\n", helmSet("x.t", "v"), ErrAlias, []string{"&m", "line 1"}},
		{"flow mapping", "a: {b: 1}\n", helmSet("a.c", "v"), ErrUnsupported, []string{`"a.c"`, "line 1"}},
		{"multi-line plain", "a: x\n  y\n", helmSet("a", "v"), ErrUnsupported, []string{"line 1"}},
		{"stale digest", "images:\n- name: app\n  digest: sha256:11\n", kustomizeSet("app", "", "v2", ""), ErrInvalidImage, []string{`"app"`, "sha256:11"}},
		{"images not a list", "images: x\n", kustomizeSet("app", "", "v2", ""), ErrUnsupported, []string{"line 1"}},
		{"override section of the wrong kind", "helm:\n  parameters: 1\n", sourceMerge([]HelmParam{tagParam("t", "v")}), ErrNotMapping, []string{"parameters", "line 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.op([]byte(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}
