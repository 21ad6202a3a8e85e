package yamledit

import (
	"bytes"
	"testing"
)

type docSet struct{ key, value string }

// sequential applies sets one by one with SetHelmValue (a parse each).
func sequential(t testing.TB, in string, sets []docSet) ([]byte, error) {
	t.Helper()
	data := []byte(in)
	for _, s := range sets {
		out, _, err := SetHelmValue(data, s.key, s.value)
		if err != nil {
			return nil, err
		}
		data = out
	}
	return data, nil
}

func viaDoc(in string, sets []docSet) ([]byte, error) {
	d, err := Parse([]byte(in))
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if _, err := d.SetHelmValue(s.key, s.value); err != nil {
			return nil, err
		}
	}
	return d.Bytes()
}

func TestDocMatchesSequentialEdits(t *testing.T) {
	tests := []struct {
		name string
		in   string
		sets []docSet
	}{
		{"two keys", "image:\n  repository: a\n  tag: v1 # pinned\n", []docSet{{"image.repository", "b"}, {"image.tag", "v2"}}},
		{"same key twice", "image:\n  tag: 'v1'\n", []docSet{{"image.tag", "v2"}, {"image.tag", "v3"}}},
		{"same key back", "image:\n  tag: v1\n", []docSet{{"image.tag", "v2"}, {"image.tag", "v1"}}},
		{"create then sibling", "other: 1\n", []docSet{{"image.repository", "b"}, {"image.tag", "v2"}}},
		{"create twice in one mapping", "image:\n  pullPolicy: Always\n", []docSet{{"image.repository", "b"}, {"image.tag", "v2"}}},
		{"empty file", "", []docSet{{"image.repository", "b"}, {"image.tag", "v2"}}},
		{"empty value twice", "image:\n  tag:\n", []docSet{{"image.tag", "v2"}, {"image.tag", "v3"}}},
		{"crlf", "a:\r\n  tag: v1\r\nb:\r\n  tag: v1\r\n", []docSet{{"a.tag", "v2"}, {"b.tag", "1.10"}}},
		{"multi-document", "a: 1\n---\nimage:\n  tag: v1\n", []docSet{{"image.tag", "v2"}, {"a", "2"}}},
		{"list", "c:\n- image: x:1\n- image: y:1\n", []docSet{{"c[1].image", "y:2"}, {"c[0].image", "x:2"}}},
		{"byte order mark", "\ufefftag: v1\nimage:\n  tag: v1\n", []docSet{{"tag", "v2"}, {"image.tag", "v2"}, {"image.name", "n"}}},
		{"flow mapping", "image: {repository: a, tag: v1}\n", []docSet{{"image.tag", "v2"}, {"image.repository", "b"}}},
		{"block scalar with an indicator", "notes: |2\n    x\n  y\ntag: v1\n", []docSet{{"notes", "short"}, {"tag", "v2"}}},
		{"refused second edit", "a: {b: 1}\n", []docSet{{"a.b", "2"}, {"a.c", "3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, werr := sequential(t, tt.in, tt.sets)
			got, gerr := viaDoc(tt.in, tt.sets)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("sequential err = %v, Doc err = %v", werr, gerr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Doc:\n%s\nsequential:\n%s", got, want)
			}
		})
	}
}

func TestDocReadsPendingEdits(t *testing.T) {
	d, err := Parse([]byte("image:\n  tag: v1\nimages:\n- name: app\n  newTag: v1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetHelmValue("image.tag", "v2"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := d.HelmValue("image.tag"); v != "v2" || !ok || err != nil {
		t.Fatalf("HelmValue = %q %v %v, want v2", v, ok, err)
	}
	if _, err := d.SetKustomizeImage("app", "", "v3", ""); err != nil {
		t.Fatal(err)
	}
	if img, ok, err := d.KustomizeImage("app"); img.NewTag != "v3" || !ok || err != nil {
		t.Fatalf("KustomizeImage = %+v %v %v, want newTag v3", img, ok, err)
	}
	out, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if want := "image:\n  tag: v2\nimages:\n- name: app\n  newTag: v3\n"; string(out) != want {
		t.Fatalf("Bytes = %q, want %q", out, want)
	}
}

func TestDocErrorSticks(t *testing.T) {
	d, err := Parse([]byte("x: &t 1\ny: *t\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetHelmValue("y", "2"); err == nil {
		t.Fatal("edit through an alias succeeded")
	}
	if _, err := d.Bytes(); err == nil {
		t.Fatal("Bytes after a failed edit returned no error")
	}
}

// BenchmarkDocTwoKeys2MB sets repository and tag of a 2 MB values file
// through one Doc (one parse and one verifying parse).
func BenchmarkDocTwoKeys2MB(b *testing.B) {
	data := bigValues(2 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.SetHelmValue("image.repository", "example/other"); err != nil {
			b.Fatal(err)
		}
		if _, err := d.SetHelmValue("image.tag", "v2.0.0"); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDoc checks that two edits through one Doc give what two
// SetHelmValue calls give.
func FuzzDoc(f *testing.F) {
	f.Add("image:\n  tag: v1\n", "image.tag", "v2", "image.repository", "x")
	f.Add("a: {b: 1}\n", "a.b", "2", "a.b", "3")
	f.Add("", "a.b", "1", "a.c", "2")
	f.Fuzz(func(t *testing.T, in, k1, v1, k2, v2 string) {
		if len(in) > 2048 {
			return
		}
		sets := []docSet{{k1, v1}, {k2, v2}}
		want, werr := sequential(t, in, sets)
		got, gerr := viaDoc(in, sets)
		if werr != nil || gerr != nil {
			if werr == nil {
				t.Fatalf("Doc refused what sequential edits accept: %v", gerr)
			}
			return // the Doc may also succeed where a later re-parse refuses; both are verified
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Doc:\n%q\nsequential:\n%q", got, want)
		}
	})
}
