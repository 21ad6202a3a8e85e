package yamledit

import (
	"errors"
	"reflect"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// lastParams keeps the last parameter per name (what a merge of them
// writes).
func lastParams(ps []HelmParam) map[string]HelmParam {
	out := map[string]HelmParam{}
	for _, p := range ps {
		out[p.Name] = p
	}
	return out
}

func FuzzReadSourceOverride(f *testing.F) {
	addGoldenSeeds(f, "source-")
	f.Add([]byte("helm:\n  parameters:\n  - name: a\n    value: 1.10\n    forceString: true\n  - name: a\n    value: x\n"))
	f.Add([]byte("kustomize:\n  images:\n  - a=b:1@sha256:ab\n  - a:2\n"))
	f.Add([]byte("helm: {parameters: [{name: t, value: v}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		so, err := ReadSourceOverride(data)
		if err != nil {
			if !errors.Is(err, ErrParse) && !errors.Is(err, ErrInvalidImage) {
				t.Fatalf("error %v wraps neither ErrParse nor ErrInvalidImage", err)
			}
			return
		}
		for _, img := range so.Images {
			if again, err := ParseKustomizeImage(img.String()); err != nil || again != img {
				t.Fatalf("image %+v does not round-trip: %+v, %v", img, again, err)
			}
		}
		// Merging back what the file says changes nothing it says.
		out, _, err := MergeSourceOverride(data, so.HelmParams, so.Images)
		if err != nil {
			return
		}
		back, err := ReadSourceOverride(out)
		if err != nil {
			t.Fatalf("merged file does not read: %v\n%s", err, out)
		}
		if want, got := lastParams(so.HelmParams), lastParams(back.HelmParams); !reflect.DeepEqual(want, got) {
			t.Fatalf("parameters %v became %v:\n%s", want, got, out)
		}
		for _, img := range dedupImages(so.Images) {
			if !containsImage(back.Images, img) {
				t.Fatalf("image %v lost:\n%s", img, out)
			}
		}
	})
}

func FuzzReadPluginOverride(f *testing.F) {
	f.Add([]byte("plugin:\n  env:\n  - name: A\n    value: b\n"))
	f.Add([]byte("plugin:\n  name: x\n  env:\n  - {name: A, value: 1}\n  - {name: A, value: 2}\n"))
	f.Add([]byte("plugin: null\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ReadPluginOverride(data)
		if err != nil {
			if !errors.Is(err, ErrParse) {
				t.Fatalf("error %v does not wrap ErrParse", err)
			}
			return
		}
		out, _, err := MergePluginOverride(data, env)
		if err != nil {
			return
		}
		back, err := ReadPluginOverride(out)
		if err != nil {
			t.Fatalf("merged file does not read: %v\n%s", err, out)
		}
		for _, e := range dedupEnv(env) {
			found := false
			for _, b := range back {
				found = found || b == e
			}
			if !found {
				t.Fatalf("entry %+v lost:\n%s", e, out)
			}
		}
	})
}

// FuzzGetHelmValue checks the two read paths against each other and
// against a plain decode of files without anchors or merge keys.
func FuzzGetHelmValue(f *testing.F) {
	addGoldenSeeds(f, "helm-", "image.tag")
	f.Add([]byte("a:\n  b: [x, {c: d}]\n"), "a.b[1].c")
	f.Add([]byte("base: &b {t: 1}\napp:\n  <<: *b\n"), "app.t")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		got, found, err := GetHelmValue(data, key)
		if d, perr := Parse(data); perr == nil {
			dv, dfound, derr := d.HelmValue(key)
			if dv != got || dfound != found || (derr == nil) != (err == nil) {
				t.Fatalf("Doc.HelmValue = %q, %v, %v; GetHelmValue = %q, %v, %v", dv, dfound, derr, got, found, err)
			}
		}
		if err != nil || !found {
			return
		}
		segs, _ := parseKey(key)
		var v any
		if yaml.Unmarshal(data, &v) != nil {
			return
		}
		for _, s := range segs {
			switch n := v.(type) {
			case map[string]any:
				v = n[s.key]
			case []any:
				if !s.isIdx || s.index >= len(n) {
					return
				}
				v = n[s.index]
			default:
				return
			}
		}
		if s, ok := v.(string); ok && s != got {
			t.Fatalf("GetHelmValue(%q) = %q, decode says %q", key, got, s)
		}
	})
}

func FuzzGetKustomizeImage(f *testing.F) {
	addGoldenSeeds(f, "kustomize-", "nginx")
	f.Add([]byte("images:\n- name: a\n  newName: b\n  newTag: \"1\"\n  digest: sha256:ab\n"), "a")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		img, found, err := GetKustomizeImage(data, name)
		if d, perr := Parse(data); perr == nil {
			dimg, dfound, derr := d.KustomizeImage(name)
			if dimg != img || dfound != found || (derr == nil) != (err == nil) {
				t.Fatalf("Doc.KustomizeImage = %+v, %v, %v; GetKustomizeImage = %+v, %v, %v", dimg, dfound, derr, img, found, err)
			}
		}
		if found && img.Name != name {
			t.Fatalf("entry %+v found for %q", img, name)
		}
		if err != nil && found {
			t.Fatalf("found with error %v", err)
		}
	})
}

func TestOverrideHelpers(t *testing.T) {
	params := []HelmParam{{Name: "b", Value: "1"}, {Name: "a", Value: "x"}, {Name: "b", Value: "2", ForceString: true}}
	if got, want := sortedParams(params), []HelmParam{{Name: "a", Value: "x"}, {Name: "b", Value: "2", ForceString: true}}; !reflect.DeepEqual(got, want) {
		t.Errorf("sortedParams = %+v, want %+v", got, want)
	}
	images := []KustomizeImage{{Name: "a", Tag: "1"}, {Orig: "b", Name: "reg/b"}, {Name: "a", Tag: "2"}, {Orig: "a", Name: "reg/a"}}
	if got, want := dedupImages(images), []KustomizeImage{{Orig: "a", Name: "reg/a"}, {Orig: "b", Name: "reg/b"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("dedupImages = %+v, want %+v", got, want)
	}
	env := []EnvVar{{"B", "1"}, {"A", "x"}, {"B", "2"}}
	if got, want := dedupEnv(env), []EnvVar{{"B", "2"}, {"A", "x"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("dedupEnv = %+v, want %+v", got, want)
	}
	for _, k := range []struct {
		img       KustomizeImage
		key, text string
	}{
		{KustomizeImage{Name: "a"}, "a", "a"},
		{KustomizeImage{Orig: "o", Name: "a", Tag: "1"}, "o", "o=a:1"},
		{KustomizeImage{Name: "reg:5000/a", Digest: "sha256:ab"}, "reg:5000/a", "reg:5000/a@sha256:ab"},
		{KustomizeImage{Orig: "o", Name: "a", Tag: "1", Digest: "sha256:ab"}, "o", "o=a:1@sha256:ab"},
	} {
		if k.img.Key() != k.key || k.img.String() != k.text {
			t.Errorf("%+v: Key %q String %q; want %q %q", k.img, k.img.Key(), k.img.String(), k.key, k.text)
		}
	}
}

func TestIsGitPath(t *testing.T) {
	for p, want := range map[string]bool{
		".git":          true,
		"a/.git/config": true,
		".GIT/x":        true,
		".git./x":       true,
		".git /x":       true,
		"GIT~1/HEAD":    true,
		"a/git~1":       true,
		".gitignore":    false,
		"a/.github/x":   false,
		"git/x":         false,
		"x.git":         false,
		"":              false,
	} {
		if got := isGitPath(p); got != want {
			t.Errorf("isGitPath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestDocErrorsAndReads(t *testing.T) {
	d, err := Parse([]byte("image:\n  tag: v1\nimages:\n- name: app\n  newTag: v1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.HelmValue("a..b"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("HelmValue bad key: %v", err)
	}
	if _, err := d.SetHelmValue("", "x"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("SetHelmValue bad key: %v", err)
	}
	if _, err := d.SetKustomizeImage("app", "", "", ""); !errors.Is(err, ErrInvalidImage) {
		t.Errorf("SetKustomizeImage nothing to set: %v", err)
	}
	// Argument errors do not poison the Doc; an edit's own error does.
	if changed, err := d.SetKustomizeImage("app", "", "v1", ""); err != nil || changed {
		t.Errorf("same tag: changed=%v err=%v", changed, err)
	}
	if changed, err := d.SetHelmValue("image.name", "reg/app"); err != nil || !changed {
		t.Errorf("new key: changed=%v err=%v", changed, err)
	}
	if img, ok, err := d.KustomizeImage("app"); err != nil || !ok || img.NewTag != "v1" {
		t.Errorf("KustomizeImage after an insertion = %+v, %v, %v", img, ok, err)
	}
	if _, err := d.SetHelmValue("image.tag.deeper", "x"); !errors.Is(err, ErrNotMapping) {
		t.Fatalf("edit through a scalar: %v", err)
	}
	if _, err := d.Bytes(); !errors.Is(err, ErrNotMapping) {
		t.Errorf("Bytes after a failed edit: %v", err)
	}
	if _, err := Parse([]byte("a: [\n")); !errors.Is(err, ErrParse) {
		t.Errorf("Parse broken: %v", err)
	}
}

func TestOverrideReaders(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		params []HelmParam
		images []KustomizeImage
		env    []EnvVar
		err    error
	}{
		{name: "empty", in: ""},
		{name: "null sections", in: "helm:\nkustomize:\nplugin:\n"},
		{name: "null lists", in: "helm:\n  parameters:\nkustomize:\n  images:\nplugin:\n  env:\n"},
		{name: "numbers and booleans read as text", in: "helm:\n  parameters:\n  - name: replicas\n    value: 3\n  - name: on\n    value: true\nplugin:\n  env:\n  - name: N\n    value: 1.10\n",
			params: []HelmParam{{Name: "replicas", Value: "3"}, {Name: "on", Value: "true"}}, env: []EnvVar{{"N", "1.10"}}},
		{name: "all three sections", in: "helm:\n  parameters:\n  - {name: a, value: b, forcestring: true}\nkustomize:\n  images: [x=y:1]\nplugin:\n  env: [{name: E, value: v}]\n",
			params: []HelmParam{{Name: "a", Value: "b", ForceString: true}}, images: []KustomizeImage{{Orig: "x", Name: "y", Tag: "1"}}, env: []EnvVar{{"E", "v"}}},
		{name: "unknown keys ignored", in: "helm:\n  releaseName: r\n  parameters: []\nother: {a: 1}\n"},
		{name: "parameters not a list", in: "helm:\n  parameters: {a: b}\n", err: ErrParse},
		{name: "image not a string", in: "kustomize:\n  images:\n  - {name: a}\n", err: ErrParse},
		{name: "invalid image", in: "kustomize:\n  images: ['a=']\n", err: ErrInvalidImage},
		{name: "root is a list", in: "- a\n", err: ErrParse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			so, err := ReadSourceOverride([]byte(tt.in))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ReadSourceOverride err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(so.HelmParams, tt.params) || !reflect.DeepEqual(so.Images, tt.images) {
				t.Fatalf("ReadSourceOverride = %+v, %v; want %+v %+v", so, err, tt.params, tt.images)
			}
			env, err := ReadPluginOverride([]byte(tt.in))
			if err != nil || !reflect.DeepEqual(env, tt.env) {
				t.Fatalf("ReadPluginOverride = %+v, %v; want %+v", env, err, tt.env)
			}
		})
	}
}
