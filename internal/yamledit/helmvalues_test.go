package yamledit

import (
	"errors"
	"reflect"
	"testing"
)

func TestSetHelmValueErrors(t *testing.T) {
	tests := []struct {
		name, in, key string
		want          error
	}{
		{"empty key", "a: 1\n", "", ErrInvalidKey},
		{"trailing dot", "a: 1\n", "a.", ErrInvalidKey},
		{"double dot", "a: 1\n", "a..b", ErrInvalidKey},
		{"bad escape", "a: 1\n", `a\b`, ErrInvalidKey},
		{"bad index", "a: [1]\n", "a[x]", ErrInvalidKey},
		{"unclosed index", "a: [1]\n", "a[0", ErrInvalidKey},
		{"leading index", "- 1\n", "[0]", ErrInvalidKey},
		{"not yaml", "a: [\n", "a", ErrParse},
		{"duplicate key", "a: 1\na: 2\n", "a", ErrParse},
		{"index past end", "a: [1]\n", "a[3]", ErrKeyNotFound},
		{"create index", "a: {}\n", "a.b[0]", ErrKeyNotFound},
		{"index into mapping", "a:\n  b: 1\n", "a[0]", ErrNotMapping},
		{"key into scalar", "a: 1\n", "a.b", ErrNotMapping},
		{"mapping value", "a:\n  b: 1\n", "a", ErrNotScalar},
		{"alias value", "x: &t 1\ny: *t\n", "y", ErrAlias},
		{"referenced anchor", "x: &t 1\ny: *t\n", "x", ErrAlias},
		{"through alias", "x: &m\n  t: 1\ny: *m\n", "y.t", ErrAlias},
		{"inside referenced anchor", "x: &m\n  t: 1\ny: *m\n", "x.t", ErrAlias},
		{"flow mapping append", "a: {b: 1}\n", "a.c", ErrUnsupported},
		{"multi-line plain", "a: one\n  two\n", "a", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := SetHelmValue([]byte(tt.in), tt.key, "v")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if out != nil || changed {
				t.Errorf("out = %q, changed = %v on error", out, changed)
			}
		})
	}
}

func TestSetHelmValueInvalidUTF8(t *testing.T) {
	_, _, err := SetHelmValue([]byte("a: 1\n"), "a", "\xff")
	if !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("err = %v, want ErrInvalidValue", err)
	}
}

func TestSetHelmValueCases(t *testing.T) {
	tests := []struct {
		name, in, key, value, want string
	}{
		{"unchanged", "a: v1\n", "a", "v1", "a: v1\n"},
		{"numeric string quoted", "a: v1\n", "a", "1.10", "a: \"1.10\"\n"},
		{"bool-like quoted", "a: v1\n", "a", "yes", "a: v1\n"},
		{"empty string", "a: v1\n", "a", "", "a: \"\"\n"},
		{"newline escaped", "a: v1\n", "a", "x\ny", "a: \"x\\ny\"\n"},
		{"comment char", "a: v1\n", "a", "x #y", "a: \"x #y\"\n"},
		{"single quote fallback", "a: 'v1'\n", "a", "a\tb", "a: \"a\\tb\"\n"},
		{"flow sequence", "a: [x, y]\n", "a[1]", "p,q", "a: [x, \"p,q\"]\n"},
		{"no trailing newline", "a: 1", "b.c", "d", "a: 1\nb:\n  c: d"},
		{"empty file", "", "a.b", "c", "a:\n  b: c\n"},
		{"tagged value keeps tag", "a: !!str v1\n", "a", "v2", "a: !!str v2\n"},
		{"anchor unreferenced", "a: &x v1\n", "a", "v2", "a: &x v2\n"},
		{"escaped bracket key", "\"a[0]\": v1\n", `a\[0\]`, "v2", "\"a[0]\": v2\n"},
		{"key needs quoting", "a:\n  x: 1\n", "a.b: c", "v", ""},
		{"unicode", "a: v1\n", "a", "café", "a: café\n"},
		{"deep create in seq item", "l:\n- n: 1\n", "l[0].x.y", "z", "l:\n- n: 1\n  x:\n    y: z\n"},
		{"document without mapping root", "x: 1\n---\n- a\n", "y", "z", "x: 1\ny: z\n---\n- a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := SetHelmValue([]byte(tt.in), tt.key, tt.value)
			if tt.name == "bool-like quoted" || tt.name == "key needs quoting" {
				// checked by value below: the output must read back as the string
				if err != nil {
					t.Fatal(err)
				}
				got, found, err := GetHelmValue(out, tt.key)
				if err != nil || !found || got != tt.value {
					t.Fatalf("read back %q found=%v err=%v from %q", got, found, err, out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("got %q, want %q", out, tt.want)
			}
		})
	}
}

func TestGetHelmValue(t *testing.T) {
	doc := `base: &base
  pullPolicy: IfNotPresent
app:
  <<: *base
  image:
    tag: "1.10"
  list: [a, {b: c}]
"x.y": dotted
alias: *base
---
second: 2
`
	tests := []struct {
		key   string
		want  string
		found bool
	}{
		{"app.image.tag", "1.10", true},
		{"app.pullPolicy", "IfNotPresent", true},
		{"app.list[1].b", "c", true},
		{"app.list[5]", "", false},
		{`x\.y`, "dotted", true},
		{"alias.pullPolicy", "IfNotPresent", true},
		{"second", "2", true},
		{"missing.key", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, found, err := GetHelmValue([]byte(doc), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || found != tt.found {
				t.Errorf("got %q,%v want %q,%v", got, found, tt.want, tt.found)
			}
		})
	}
	if _, _, err := GetHelmValue([]byte(doc), "app.image"); !errors.Is(err, ErrNotScalar) {
		t.Errorf("mapping: err = %v, want ErrNotScalar", err)
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		key  string
		want []segment
	}{
		{"a", []segment{{key: "a"}}},
		{"a.b[0].c", []segment{{key: "a"}, {key: "b"}, {index: 0, isIdx: true}, {key: "c"}}},
		{"a[1][2]", []segment{{key: "a"}, {index: 1, isIdx: true}, {index: 2, isIdx: true}}},
		{`a\.b\\c`, []segment{{key: `a.b\c`}}},
	}
	for _, tt := range tests {
		got, err := parseKey(tt.key)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseKey(%q) = %v, %v; want %v", tt.key, got, err, tt.want)
		}
	}
}
