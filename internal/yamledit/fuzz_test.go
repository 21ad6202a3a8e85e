package yamledit

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func addGoldenSeeds(f *testing.F, prefix string, args ...any) {
	inputs, _ := filepath.Glob("testdata/" + prefix + "*/input.yaml")
	for _, p := range inputs {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]any{data}, args...)...)
	}
}

func FuzzSetHelmValue(f *testing.F) {
	addGoldenSeeds(f, "helm-", "image.tag", "1.10")
	f.Add([]byte("a:\n  b: [1, 2]\n"), "a.b[1]", "x: y")
	f.Add([]byte("a: |\n  x\n"), "a", "it's")
	f.Add([]byte("a: 'x'\r\n"), "a.b", "\"q\"")
	f.Add([]byte(""), `x\.y[0]`, "v")
	f.Fuzz(func(t *testing.T, data []byte, key, value string) {
		out, changed, err := SetHelmValue(data, key, value)
		if err != nil {
			return
		}
		if changed != (string(out) != string(data)) {
			t.Fatalf("changed=%v but output equality=%v", changed, string(out) == string(data))
		}
		got, found, err := GetHelmValue(out, key)
		if err != nil || !found || got != value {
			t.Fatalf("read back %q found=%v err=%v, want %q\n%s", got, found, err, value, out)
		}
		checkOnlyKeyChanged(t, data, out, key, value)
	})
}

// checkOnlyKeyChanged is an independent oracle: decode both files, set the
// key in the decoded input, and compare. Inputs whose shape this simple
// model cannot follow (anchors, merge keys, non-string keys, NaN) are
// skipped; the editor's own verification covers them.
func checkOnlyKeyChanged(t *testing.T, in, out []byte, key, value string) {
	s := strings.ToLower(string(in))
	if strings.ContainsAny(s, "&*!") || strings.Contains(s, "<<") || strings.Contains(s, "nan") || strings.Contains(s, "---") {
		return
	}
	segs, _ := parseKey(key)
	var before, after any
	if yaml.Unmarshal(in, &before) != nil || yaml.Unmarshal(out, &after) != nil {
		t.Fatalf("output does not decode:\n%s", out)
	}
	want, ok := setDecoded(before, segs, value)
	if ok && !reflect.DeepEqual(want, after) {
		t.Fatalf("unrelated content changed:\nin:\n%s\nout:\n%s", in, out)
	}
}

func setDecoded(v any, segs []segment, value string) (any, bool) {
	if len(segs) == 0 {
		return value, true
	}
	s := segs[0]
	switch n := v.(type) {
	case nil:
		if s.isIdx {
			return nil, false
		}
		child, ok := setDecoded(nil, segs[1:], value)
		return map[string]any{s.key: child}, ok
	case map[string]any:
		if s.isIdx {
			return nil, false
		}
		child, ok := setDecoded(n[s.key], segs[1:], value)
		n[s.key] = child
		return n, ok
	case []any:
		if !s.isIdx || s.index >= len(n) {
			return nil, false
		}
		child, ok := setDecoded(n[s.index], segs[1:], value)
		n[s.index] = child
		return n, ok
	}
	return nil, false
}

func FuzzSetKustomizeImage(f *testing.F) {
	addGoldenSeeds(f, "kustomize-", "nginx", "", "1.25.4", "")
	f.Add([]byte("images:\n- name: a\n  newTag: \"1\"\n"), "a", "b", "2", digestA)
	f.Add([]byte(""), "a", "", "1.0", "")
	f.Fuzz(func(t *testing.T, data []byte, name, newName, newTag, digest string) {
		out, _, err := SetKustomizeImage(data, name, newName, newTag, digest)
		if err != nil {
			return
		}
		got, found, err := GetKustomizeImage(out, name)
		if err != nil || !found {
			t.Fatalf("entry %q not found after edit (err=%v):\n%s", name, err, out)
		}
		if (newTag != "" && got.NewTag != newTag) || (digest != "" && got.Digest != digest) ||
			(newName != "" && newName != name && got.NewName != newName) {
			t.Fatalf("got %+v after setting %q %q %q:\n%s", got, newName, newTag, digest, out)
		}
	})
}

func FuzzMergeSourceOverride(f *testing.F) {
	addGoldenSeeds(f, "source-", "frontend.image.tag", "v5", "registry.example.com/team/app:1.0.2")
	f.Add([]byte(""), "a", "1.10", "nginx=reg/nginx:1@sha256:ab")
	f.Fuzz(func(t *testing.T, data []byte, name, value, image string) {
		params := []HelmParam{{Name: name, Value: value, ForceString: true}}
		var images []KustomizeImage
		if img, err := ParseKustomizeImage(image); err == nil {
			images = append(images, img)
		}
		out, _, err := MergeSourceOverride(data, params, images)
		if err != nil {
			return
		}
		so, err := ReadSourceOverride(out)
		if err != nil {
			t.Fatalf("output does not read back: %v\n%s", err, out)
		}
		if !containsParam(so.HelmParams, params[0]) {
			t.Fatalf("param %+v missing from %+v\n%s", params[0], so.HelmParams, out)
		}
		for _, img := range images {
			if !containsImage(so.Images, img) {
				t.Fatalf("image %v missing\n%s", img, out)
			}
		}
		again, changed, err := MergeSourceOverride(out, params, images)
		if err != nil || changed || string(again) != string(out) {
			t.Fatalf("second merge changed=%v err=%v:\n%s\n---\n%s", changed, err, out, again)
		}
	})
}

func containsParam(ps []HelmParam, p HelmParam) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func containsImage(imgs []KustomizeImage, img KustomizeImage) bool {
	for _, i := range imgs {
		if i == img {
			return true
		}
	}
	return false
}

func FuzzParseKustomizeImage(f *testing.F) {
	for _, s := range []string{"nginx", "a=b:1@sha256:ab", "reg:5000/x", "x@y:z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		img, err := ParseKustomizeImage(s)
		if err != nil {
			return
		}
		if img.String() != s {
			t.Fatalf("String() = %q, want %q", img.String(), s)
		}
	})
}

func FuzzSafeJoin(f *testing.F) {
	for _, s := range []string{"a/b", "/x", "../x", "out-dir/x", "apps/web/rel-up/secret.yaml", "in-dir/../..", "a/../../b", "//x/./y/"} {
		f.Add(s)
	}
	root, _ := repoWithLinks(f)
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		got, err := SafeJoin(root, rel)
		if err != nil {
			return
		}
		if got != root && !strings.HasPrefix(got, root+string(filepath.Separator)) {
			t.Fatalf("SafeJoin(%q) = %q outside %q", rel, got, root)
		}
		if resolved := resolveExisting(got); !within(realRoot, resolved) {
			t.Fatalf("SafeJoin(%q) = %q resolves to %q outside %q", rel, got, resolved, realRoot)
		}
	})
}

// resolveExisting resolves the longest existing prefix of p.
func resolveExisting(p string) string {
	for q := p; ; q = filepath.Dir(q) {
		if r, err := filepath.EvalSymlinks(q); err == nil {
			rest, _ := filepath.Rel(q, p)
			return filepath.Join(r, rest)
		}
		if q == filepath.Dir(q) {
			return p
		}
	}
}
