package yamledit

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// decodeRefuses reports whether yaml.v3 refuses to decode src into Go
// values (the quadratic check validateDoc replaces).
func decodeRefuses(src []byte) (refused bool, aliasing bool) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return false, false
		}
		if err != nil {
			return true, false
		}
		var probe any
		if err := doc.Decode(&probe); err != nil {
			return true, strings.Contains(err.Error(), "excessive aliasing")
		}
	}
}

func TestValidateDocMatchesDecode(t *testing.T) {
	tests := []struct {
		name, in string
		bad      bool
	}{
		{"plain", "a: 1\nb: [x, y]\n", false},
		{"duplicate", "a: 1\nb: 2\na: 3\n", true},
		{"duplicate nested", "x:\n  a: 1\n  a: 1\n", true},
		{"same value different kind", "? [a]\n: 1\na: 2\n", true},
		{"mapping key", "? {a: 1}\n: x\n", true},
		{"merge mapping", "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n", false},
		{"merge list", "b1: &b1 {x: 1}\nb2: &b2 {y: 1}\nd:\n  <<: [*b1, *b2]\n", false},
		{"merge scalar", "d:\n  <<: 1\n", true},
		{"merge alias of a list", "l: &l [{x: 1}]\nd:\n  <<: *l\n", true},
		{"merge list of aliases", "a: &a {x: 1}\nd:\n  <<: [*a, {y: 2}]\n", false},
		{"merge list of scalars", "d:\n  <<: [1]\n", true},
		{"bad int tag", "a: !!int abc\n", true},
		{"good int tag", "a: !!int 12\n", false},
		{"bad binary", "a: !!binary '%%%'\n", true},
		{"custom tag", "a: !thing abc\n", false},
		{"str tag", "a: !!str 1\n", false},
		{"recursive alias", "a: &a [*a]\n", true},
		{"alias to sibling", "a: &a 1\nb: *a\n", false},
		{"two documents", "a: 1\n---\na: 2\n", false},
		{"duplicate in second document", "a: 1\n---\nb: 1\nb: 2\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDocs([]byte(tt.in))
			if got := err != nil; got != tt.bad {
				t.Fatalf("parseDocs error = %v, want refused=%v", err, tt.bad)
			}
			if tt.bad && !errors.Is(err, ErrParse) {
				t.Errorf("error %v does not wrap ErrParse", err)
			}
			if refused, _ := decodeRefuses([]byte(tt.in)); refused != tt.bad {
				t.Errorf("yaml.v3 decode refused=%v, the table says %v (the test no longer compares like with like)", refused, tt.bad)
			}
		})
	}
}

// TestParseDocsLinear fails when parsing a file with one large mapping is
// quadratic again: 200k keys took minutes with yaml.v3's duplicate check.
func TestParseDocsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	data := bigValues(4 << 20)
	done := make(chan error, 1)
	go func() { _, err := parseDocs(data); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("parsing a 4 MiB values file took longer than 20 s")
	}
}

// FuzzValidateDoc checks that validateDoc is never stricter than decoding
// into Go values, and refuses whatever decoding refuses (except yaml.v3's
// alias-expansion limit, which does not apply to node trees).
func FuzzValidateDoc(f *testing.F) {
	for _, s := range []string{"a: 1\n", "a: 1\na: 2\n", "d:\n  <<: 1\n", "a: &a [*a]\n", "a: !!int x\n", "? [a]\n: 1\n", "x: &b {a: 1}\ny: {<<: *b}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 4096 {
			return
		}
		refused, aliasing := decodeRefuses(src)
		_, err := parseDocs(src)
		if err != nil && !refused {
			t.Fatalf("parseDocs refused what yaml.v3 decodes: %v\n%q", err, src)
		}
		if err == nil && refused && !aliasing {
			t.Fatalf("parseDocs accepted what yaml.v3 refuses to decode\n%q", src)
		}
	})
}
