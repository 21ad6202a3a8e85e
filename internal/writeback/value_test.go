package writeback

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

func specTarget(t testing.TB, spec string, src target.Source, m target.Manifest) target.Target {
	t.Helper()
	s, err := imagespec.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return target.Target{App: target.AppRef{Namespace: "argocd", Name: "web"}, Image: s, Source: src, Manifest: m}
}

func TestManifestKind(t *testing.T) {
	tests := []struct {
		name string
		src  string
		m    target.Manifest
		want string
	}{
		{"manifest kind wins", target.KindHelm, target.Manifest{Kind: target.KindKustomize}, target.KindKustomize},
		{"helm source", target.KindHelm, target.Manifest{}, target.KindHelm},
		{"kustomize source", target.KindKustomize, target.Manifest{HelmName: "x"}, target.KindKustomize},
		{"plugin source", target.KindPlugin, target.Manifest{}, target.KindPlugin},
		{"directory with a kustomize image name", "directory", target.Manifest{KustomizeName: "app"}, target.KindKustomize},
		{"directory defaults to helm", "directory", target.Manifest{}, target.KindHelm},
		{"unknown source defaults to helm", "", target.Manifest{}, target.KindHelm},
	}
	for _, tt := range tests {
		tg := target.Target{Source: target.Source{Kind: tt.src}, Manifest: tt.m}
		if got := manifestKind(tg); got != tt.want {
			t.Errorf("%s: manifestKind = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestValueRef(t *testing.T) {
	tests := []struct {
		v             Value
		tagValue, ref string
	}{
		{Value{Name: "reg/app", Tag: "1.0"}, "1.0", "reg/app:1.0"},
		{Value{Name: "reg/app", Tag: "1.0", Digest: digest1}, "1.0@" + digest1, "reg/app:1.0@" + digest1},
		{Value{Name: "reg/app", Digest: digest1}, digest1, "reg/app@" + digest1},
		{Value{Name: "reg:5000/app"}, "", "reg:5000/app:"},
	}
	for _, tt := range tests {
		if got := tt.v.TagValue(); got != tt.tagValue {
			t.Errorf("%+v.TagValue() = %q, want %q", tt.v, got, tt.tagValue)
		}
		if got := tt.v.Ref(); got != tt.ref {
			t.Errorf("%+v.Ref() = %q, want %q", tt.v, got, tt.ref)
		}
	}
}

func TestOverrideEntries(t *testing.T) {
	v := Value{Name: "registry.example.com/team/web", Tag: "1.1", Digest: digest2}
	tests := []struct {
		name   string
		m      target.Manifest
		spec   string
		params []yamledit.HelmParam
		image  yamledit.KustomizeImage
		env    []yamledit.EnvVar
	}{
		{name: "default helm parameters", spec: "registry.example.com/team/web",
			params: []yamledit.HelmParam{{Name: "image.name", Value: v.Name, ForceString: true}, {Name: "image.tag", Value: "1.1@" + digest2, ForceString: true}},
			image:  yamledit.KustomizeImage{Name: v.Name, Tag: "1.1", Digest: digest2}},
		{name: "helm spec parameter", spec: "registry.example.com/team/web", m: target.Manifest{HelmSpec: "web.image"},
			params: []yamledit.HelmParam{{Name: "web.image", Value: v.Ref(), ForceString: true}},
			image:  yamledit.KustomizeImage{Name: v.Name, Tag: "1.1", Digest: digest2}},
		{name: "kustomize image renamed", spec: "registry.example.com/team/web", m: target.Manifest{KustomizeName: "web", HelmName: "a", HelmTag: "b"},
			params: []yamledit.HelmParam{{Name: "a", Value: v.Name, ForceString: true}, {Name: "b", Value: "1.1@" + digest2, ForceString: true}},
			image:  yamledit.KustomizeImage{Orig: "web", Name: v.Name, Tag: "1.1", Digest: digest2}},
		{name: "plugin name and tag", spec: "registry.example.com/team/web", m: target.Manifest{PluginName: "N", PluginTag: "T"},
			env: []yamledit.EnvVar{{Name: "N", Value: v.Name}, {Name: "T", Value: "1.1@" + digest2}}},
		{name: "plugin spec", spec: "registry.example.com/team/web", m: target.Manifest{PluginSpec: "IMG", PluginName: "ignored"},
			env: []yamledit.EnvVar{{Name: "IMG", Value: v.Ref()}}},
		{name: "plugin tag only", spec: "registry.example.com/team/web", m: target.Manifest{PluginTag: "T"},
			env: []yamledit.EnvVar{{Name: "T", Value: "1.1@" + digest2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := specTarget(t, tt.spec, target.Source{}, tt.m)
			if tt.params != nil {
				if got := helmParams(tg, v); !reflect.DeepEqual(got, tt.params) {
					t.Errorf("helmParams = %+v, want %+v", got, tt.params)
				}
				if got := kustomizeImage(tg, v); got != tt.image {
					t.Errorf("kustomizeImage = %+v, want %+v", got, tt.image)
				}
			}
			if got := pluginEnvVars(tg, v); !reflect.DeepEqual(got, tt.env) {
				t.Errorf("pluginEnvVars = %+v, want %+v", got, tt.env)
			}
		})
	}
}

// TestReadValue reads a target's version from each kind of file.
func TestReadValue(t *testing.T) {
	helm := target.Source{Kind: target.KindHelm}
	kust := target.Source{Kind: target.KindKustomize}
	plugin := target.Source{Kind: target.KindPlugin}
	tests := []struct {
		name  string
		kind  string
		src   target.Source
		m     target.Manifest
		data  string
		want  Value
		found bool
		err   error
	}{
		{"helm values name and tag", FileHelmValues, helm, target.Manifest{}, "image:\n  name: reg/web\n  tag: 1.0\n",
			Value{Name: "reg/web", Tag: "1.0"}, true, nil},
		{"helm values tag with digest", FileHelmValues, helm, target.Manifest{HelmTag: "t"}, "t: 1.0@" + digest1 + "\n",
			Value{Tag: "1.0", Digest: digest1}, true, nil},
		{"helm values spec", FileHelmValues, helm, target.Manifest{HelmSpec: "a.image"}, "a:\n  image: reg:5000/web:2@" + digest1 + "\n",
			Value{Name: "reg:5000/web", Tag: "2", Digest: digest1}, true, nil},
		{"helm values without the tag", FileHelmValues, helm, target.Manifest{}, "image:\n  name: reg/web\n", Value{}, false, nil},
		{"helm values tag is a mapping", FileHelmValues, helm, target.Manifest{}, "image:\n  tag:\n    a: b\n", Value{}, false, yamledit.ErrNotScalar},
		{"helm values broken", FileHelmValues, helm, target.Manifest{}, "image: [\n", Value{}, false, yamledit.ErrParse},
		{"kustomization entry", FileKustomization, kust, target.Manifest{}, "images:\n- name: registry.example.com/team/web\n  newTag: v3\n",
			Value{Name: "registry.example.com/team/web", Tag: "v3"}, true, nil},
		{"kustomization renamed entry", FileKustomization, kust, target.Manifest{KustomizeName: "web"}, "images:\n- name: web\n  newName: reg/web\n  digest: " + digest1 + "\n",
			Value{Name: "reg/web", Digest: digest1}, true, nil},
		{"kustomization entry without a version", FileKustomization, kust, target.Manifest{KustomizeName: "web"}, "images:\n- name: web\n  newName: reg/web\n",
			Value{Name: "reg/web"}, false, nil},
		{"kustomization list root", FileKustomization, kust, target.Manifest{}, "- a\n", Value{}, false, yamledit.ErrNotMapping},
		{"override helm parameters", FileOverride, helm, target.Manifest{}, "helm:\n  parameters:\n  - name: image.tag\n    value: \"1.10\"\n  - name: image.name\n    value: reg/web\n",
			Value{Name: "reg/web", Tag: "1.10"}, true, nil},
		{"override helm spec", FileOverride, helm, target.Manifest{HelmSpec: "img"}, "helm:\n  parameters:\n  - name: img\n    value: reg/web:4\n",
			Value{Name: "reg/web", Tag: "4"}, true, nil},
		{"override without the parameter", FileOverride, helm, target.Manifest{}, "helm:\n  parameters:\n  - name: other\n    value: x\n", Value{}, false, nil},
		{"override kustomize image by original name", FileOverride, kust, target.Manifest{KustomizeName: "web"}, "kustomize:\n  images:\n  - web=reg/web:5\n",
			Value{Name: "reg/web", Tag: "5"}, true, nil},
		{"override kustomize image by name", FileOverride, kust, target.Manifest{}, "kustomize:\n  images:\n  - registry.example.com/team/web@" + digest2 + "\n",
			Value{Name: "registry.example.com/team/web", Digest: digest2}, true, nil},
		{"override kustomize other image", FileOverride, kust, target.Manifest{}, "kustomize:\n  images:\n  - other:1\n", Value{}, false, nil},
		{"override broken", FileOverride, helm, target.Manifest{}, "helm: [\n", Value{}, false, yamledit.ErrParse},
		{"plugin env", FileOverride, plugin, target.Manifest{PluginName: "N", PluginTag: "T"}, "plugin:\n  env:\n  - name: T\n    value: 6@" + digest1 + "\n  - name: N\n    value: reg/web\n",
			Value{Name: "reg/web", Tag: "6", Digest: digest1}, true, nil},
		{"plugin spec", FileOverride, plugin, target.Manifest{PluginSpec: "IMG"}, "plugin:\n  env:\n  - name: IMG\n    value: reg/web:7\n",
			Value{Name: "reg/web", Tag: "7"}, true, nil},
		{"plugin without a tag variable", FileOverride, plugin, target.Manifest{PluginName: "N"}, "plugin:\n  env:\n  - name: N\n    value: reg/web\n", Value{}, false, nil},
		{"plugin broken", FileOverride, plugin, target.Manifest{PluginTag: "T"}, "plugin: {\n", Value{}, false, yamledit.ErrParse},
		{"unknown kind", "weird", helm, target.Manifest{}, "a: 1\n", Value{}, false, ErrTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := specTarget(t, "registry.example.com/team/web", tt.src, tt.m)
			for _, l := range []Layout{{}, NewLayout("argocd")} {
				got, found, err := l.read(tt.kind, tg, []byte(tt.data))
				if tt.err != nil {
					if !errors.Is(err, tt.err) {
						t.Fatalf("err = %v, want %v", err, tt.err)
					}
					continue
				}
				if err != nil || found != tt.found || got != tt.want {
					t.Fatalf("cache=%v: read = %+v, %v, %v; want %+v, %v", l.Cache != nil, got, found, err, tt.want, tt.found)
				}
			}
		})
	}
}

func FuzzReadValue(f *testing.F) {
	for _, s := range []string{"image:\n  tag: 1\n", "images:\n- name: web\n  newTag: x\n", "helm:\n  parameters:\n  - name: image.tag\n    value: v\n", "plugin:\n  env: []\n"} {
		f.Add(s, FileHelmValues)
		f.Add(s, FileOverride)
		f.Add(s, FileKustomization)
	}
	f.Fuzz(func(t *testing.T, data, kind string) {
		for _, src := range []string{target.KindHelm, target.KindKustomize, target.KindPlugin} {
			tg := specTarget(t, "web", target.Source{Kind: src}, target.Manifest{PluginTag: "T", KustomizeName: "web"})
			v, found, err := ReadValue(File{Kind: kind}, tg, []byte(data))
			if err != nil && (found || v != Value{}) {
				t.Fatalf("ReadValue(%q) = %+v, %v with error %v", data, v, found, err)
			}
		}
	})
}

func TestValueFiles(t *testing.T) {
	tests := []struct {
		src  target.Source
		want []string
	}{
		{target.Source{Path: "chart"}, []string{"chart/values.yaml"}},
		{target.Source{Path: "chart", ValueFiles: []string{"values.yaml", "env/prod.yaml", "../shared.yaml"}}, []string{"chart/values.yaml", "chart/env/prod.yaml", "shared.yaml"}},
		{target.Source{Path: ".", ValueFiles: []string{"https://example.com/v.yaml", "$values/x.yaml", "local.yaml"}}, []string{"local.yaml"}},
	}
	for _, tt := range tests {
		if got := valueFiles(tt.src); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("valueFiles(%+v) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

// TestLayoutCurrent reads the deployed version from the write-back file
// when it has the image, else from the source's own manifests.
func TestLayoutCurrent(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		src      target.Source
		wbTarget string
		want     Value
		from     string
		found    bool
		err      error
	}{
		{"override file first", map[string]string{
			"c/.argocd-source-web.yaml": "helm:\n  parameters:\n  - name: image.tag\n    value: v9\n",
			"c/values.yaml":             "image:\n  tag: v1\n"},
			target.Source{Path: "c", Kind: target.KindHelm}, "", Value{Tag: "v9"}, "c/.argocd-source-web.yaml", true, nil},
		{"override without the image falls back to values", map[string]string{
			"c/.argocd-source-web.yaml": "helm:\n  parameters:\n  - name: other\n    value: v9\n",
			"c/values.yaml":             "image:\n  tag: v1\n"},
			target.Source{Path: "c", Kind: target.KindHelm}, "", Value{Tag: "v1"}, "c/values.yaml", true, nil},
		{"value files in order", map[string]string{"c/values.yaml": "a: 1\n", "c/prod.yaml": "image:\n  tag: v2\n"},
			target.Source{Path: "c", Kind: target.KindHelm, ValueFiles: []string{"values.yaml", "prod.yaml"}}, "", Value{Tag: "v2"}, "c/prod.yaml", true, nil},
		{"kustomize base", map[string]string{"k/kustomization.yaml": "images:\n- name: registry.example.com/team/web\n  newTag: v3\n"},
			target.Source{Path: "k", Kind: target.KindKustomize}, "", Value{Name: "registry.example.com/team/web", Tag: "v3"}, "k/kustomization.yaml", true, nil},
		{"kustomization target does not fall back", map[string]string{"k/values.yaml": "image:\n  tag: v1\n"},
			target.Source{Path: "k", Kind: target.KindKustomize}, "kustomization", Value{}, "k/kustomization.yaml", false, nil},
		{"nothing names the image", map[string]string{}, target.Source{Path: "c", Kind: target.KindHelm}, "", Value{}, "c/.argocd-source-web.yaml", false, nil},
		{"broken values file", map[string]string{"c/values.yaml": "image: [\n"}, target.Source{Path: "c", Kind: target.KindHelm}, "", Value{}, "c/values.yaml", false, yamledit.ErrParse},
		{"escaping target", map[string]string{}, target.Source{Path: "c"}, "../../x.yaml", Value{}, "", false, ErrTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := checkout(t, tt.files)
			tg := specTarget(t, "registry.example.com/team/web", tt.src, target.Manifest{})
			tg.WriteBack.Target = tt.wbTarget
			v, from, found, err := Layout{ControllerNamespace: "argocd"}.Current(root, tg)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if tt.from != "" && !strings.Contains(err.Error(), tt.from) {
					t.Errorf("error does not name %s: %v", tt.from, err)
				}
				return
			}
			if err != nil || v != tt.want || from.Path != tt.from || found != tt.found {
				t.Fatalf("Current = %+v, %s, %v, %v; want %+v, %s, %v", v, from.Path, found, err, tt.want, tt.from, tt.found)
			}
		})
	}
}

func TestLocateKustomizationNames(t *testing.T) {
	tests := []struct {
		files []string
		want  string
	}{
		{[]string{"k/kustomization.yaml", "k/kustomization.yml"}, "k/kustomization.yaml"},
		{[]string{"k/kustomization.yml", "k/Kustomization"}, "k/kustomization.yml"},
		{[]string{"k/Kustomization"}, "k/Kustomization"},
		{nil, "k/kustomization.yaml"},
	}
	for _, tt := range tests {
		files := map[string]string{}
		for _, f := range tt.files {
			files[f] = "images: []\n"
		}
		root := checkout(t, files)
		got, err := locate(root, File{Kind: FileKustomization, Path: "k/kustomization.yaml"})
		if err != nil || got != filepath.Join(root, filepath.FromSlash(tt.want)) {
			t.Errorf("locate with %v = %s, %v; want %s", tt.files, got, err, tt.want)
		}
	}
	if _, err := locate(checkout(t, nil), File{Kind: FileHelmValues, Path: ".git/config"}); !errors.Is(err, ErrTarget) || !errors.Is(err, yamledit.ErrGitDir) {
		t.Errorf("locate .git/config: %v, want ErrTarget and ErrGitDir", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.yaml")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 || readBack(t, dir, "x.yaml") != "new" {
		t.Fatalf("after write: mode %v err %v", st.Mode(), err)
	}
	fresh := filepath.Join(dir, "a", "b", "new.yaml")
	if err := writeFileAtomic(fresh, []byte("n")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(fresh); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("new file: %v %v", st, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".imagepilot-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if err := writeFileAtomic(filepath.Join(p, "under-a-file"), []byte("x")); err == nil {
		t.Error("writing under a regular file succeeded")
	}
}

// TestEditorOutcomes covers what stage decides for one application: a
// concurrent edit is a conflict (left alone), a file used two ways or a
// plugin target without variables fails the application.
func TestEditorOutcomes(t *testing.T) {
	values := "image:\n  repository: registry.example.com/team/web\n  tag: v5\n"
	tests := []struct {
		name      string
		files     map[string]string
		decisions func() []updater.Decision
		applied   int
		conflicts int
		err       error
		want      map[string]string
	}{
		{"value changed since planned", map[string]string{"c/values.yaml": values},
			func() []updater.Decision {
				return []updater.Decision{helmUpdate(t, "web", "registry.example.com/team/web", "c", "image", "v1", "v2")}
			},
			0, 1, nil, map[string]string{"c/values.yaml": values}},
		{"someone already wrote the new value", map[string]string{"c/values.yaml": values},
			func() []updater.Decision {
				return []updater.Decision{helmUpdate(t, "web", "registry.example.com/team/web", "c", "image", "v1", "v5")}
			},
			1, 0, nil, map[string]string{"c/values.yaml": values}},
		{"unknown current version is not a conflict", map[string]string{"c/values.yaml": values},
			func() []updater.Decision {
				return []updater.Decision{helmUpdate(t, "web", "registry.example.com/team/web", "c", "image", "", "v6")}
			},
			1, 0, nil, map[string]string{"c/values.yaml": strings.Replace(values, "v5", "v6", 1)}},
		{"one file as override and as values", map[string]string{"c/values.yaml": values},
			func() []updater.Decision {
				a := helmUpdate(t, "web", "registry.example.com/team/web", "c", "image", "v5", "v6")
				b := a
				b.Target.Image.Alias, b.Target.WriteBack.Target = "other", "values.yaml"
				return []updater.Decision{a, b}
			}, 0, 0, ErrTarget, map[string]string{"c/values.yaml": values}},
		{"plugin target without variables", map[string]string{},
			func() []updater.Decision {
				d := helmUpdate(t, "web", "registry.example.com/team/web", "p", "image", "", "v1")
				d.Target.Source.Kind, d.Target.WriteBack.Target, d.Target.Manifest = target.KindPlugin, "", target.Manifest{}
				return []updater.Decision{d}
			}, 0, 0, ErrTarget, map[string]string{}},
		{"override in place of a values file", map[string]string{"c/my-override.yaml": "helm:\n  parameters: []\n"},
			func() []updater.Decision {
				d := helmUpdate(t, "web", "registry.example.com/team/web", "c", "image", "", "v1")
				d.Target.WriteBack.Target = "my-override.yaml"
				return []updater.Decision{d}
			}, 1, 0, nil, map[string]string{"c/my-override.yaml": "helm:\n  parameters:\n  - name: image.repository\n    value: registry.example.com/team/web\n    forcestring: true\n  - name: image.tag\n    value: v1\n    forcestring: true\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := checkout(t, tt.files)
			ed := &groupEditor{decisions: tt.decisions(), write: true}
			if _, err := ed.apply(context.Background(), root); err != nil {
				t.Fatal(err)
			}
			if len(ed.applied) != tt.applied || len(ed.conflicts) != tt.conflicts {
				t.Errorf("applied %d conflicts %d, want %d %d", len(ed.applied), len(ed.conflicts), tt.applied, tt.conflicts)
			}
			if tt.err == nil && len(ed.failed) > 0 || tt.err != nil && (len(ed.failed) != 1 || !errors.Is(ed.failed[0].err, tt.err)) {
				t.Errorf("failed = %+v, want %v", ed.failed, tt.err)
			}
			compareTrees(t, readTree(t, root), func() map[string][]byte {
				m := map[string][]byte{}
				for k, v := range tt.want {
					m[k] = []byte(v)
				}
				return m
			}())
		})
	}
}

// TestLayoutWrite: a pin's write goes through the same editor, is
// idempotent and fails closed on a missing values file.
func TestLayoutWrite(t *testing.T) {
	root := checkout(t, map[string]string{"c/values.yaml": "image:\n  tag: v1\n"})
	tg := helmUpdate(t, "web", "reg/web", "c", "image", "", "").Target
	tg.Manifest = target.Manifest{HelmSpec: "image.ref"}
	changed, err := Layout{}.Write(root, tg, Value{Name: "reg/web", Tag: "v2", Digest: digest1})
	if err != nil || !changed {
		t.Fatalf("Write = %v, %v", changed, err)
	}
	if got := readBack(t, root, "c/values.yaml"); got != "image:\n  tag: v1\n  ref: reg/web:v2@"+digest1+"\n" {
		t.Fatalf("values:\n%s", got)
	}
	if changed, err := (Layout{}).Write(root, tg, Value{Name: "reg/web", Tag: "v2", Digest: digest1}); err != nil || changed {
		t.Fatalf("second Write = %v, %v", changed, err)
	}
	tg.WriteBack.Target = "helmvalues:missing.yaml"
	if _, err := (Layout{}).Write(root, tg, Value{Tag: "v3"}); !errors.Is(err, ErrTarget) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, before, after string
		want                []string
	}{
		{"new file", "", "a: 1\n", []string{"--- /dev/null\n", "+++ b/c/x.yaml\n", "+a: 1\n"}},
		{"changed line", "a: 1\nb: 2\n", "a: 1\nb: 3\n", []string{"--- a/c/x.yaml\n", "+++ b/c/x.yaml\n", "-b: 2\n", "+b: 3\n", " a: 1\n"}},
		{"same content", "a: 1\n", "a: 1\n", nil},
	}
	for _, tt := range tests {
		got := UnifiedDiff("c/x.yaml", []byte(tt.before), []byte(tt.after))
		if tt.want == nil && got != "" {
			t.Errorf("%s: diff %q, want none", tt.name, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: diff lacks %q:\n%s", tt.name, w, got)
			}
		}
	}
}

func TestCommitDataAndChanges(t *testing.T) {
	a := helmUpdate(t, "b-app", "reg/x", "c", "image", "1", "2")
	a.Target.WriteBack.Target = "helmvalues:v.yaml"
	b := helmUpdate(t, "a-app", "reg/y", "d", "image", "v1", "v2")
	b.Target.App.Namespace = "team"
	b.Target.Policy.Strategy, b.NewDigest = "digest", digest2
	b.Current.Digest = digest1
	changes := changesOf([]updater.Decision{a, b, a}, Layout{ControllerNamespace: "argocd"})
	want := []Change{
		{App: "b-app", AppNamespace: "argocd", Image: "reg/x", OldTag: "1", NewTag: "2", File: "c/v.yaml"},
		{App: "a-app", AppNamespace: "team", Image: "reg/y", OldTag: "v1@" + digest1, NewTag: "v2@" + digest2, File: "d/values.yaml"},
		{App: "b-app", AppNamespace: "argocd", Image: "reg/x", OldTag: "1", NewTag: "2", File: "c/v.yaml"},
	}
	if !reflect.DeepEqual(changes, want) {
		t.Fatalf("changesOf =\n%+v\nwant\n%+v", changes, want)
	}
	d := commitData(changes)
	if d.AppName != "a-app, b-app" || !reflect.DeepEqual(d.Apps, []string{"a-app", "b-app"}) || d.AppNamespace != "argocd" || len(d.AppChanges) != 3 {
		t.Fatalf("commitData = %+v", d)
	}
	if d := commitData(nil); d.AppName != "" || d.AppNamespace != "" || d.Apps != nil {
		t.Fatalf("commitData(nil) = %+v", d)
	}
	tmpl, err := ParseCommitTemplate("{{ .AppNamespace }}/{{ .AppName }}:{{ range .AppChanges }} {{ .File }}{{ end }}")
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := RenderCommit(tmpl, changes); err != nil || msg != "argocd/a-app, b-app: c/v.yaml d/values.yaml c/v.yaml" {
		t.Fatalf("RenderCommit = %q, %v", msg, err)
	}
}

func TestCommitTemplateForms(t *testing.T) {
	changes := []Change{{App: "web", AppNamespace: "team", Image: "reg/web", OldTag: "1", NewTag: "2", File: "c/values.yaml",
		Labels: map[string]string{"org.opencontainers.image.revision": "abc123"}}}
	tests := []struct {
		name, text, want string
		parseErr, runErr bool
	}{
		{name: "empty means the default", text: "", want: "build: automatic update of web\n\nupdates image reg/web tag '1' to '2'\n"},
		{name: "blank means the default", text: " \n\t", want: "build: automatic update of web\n\nupdates image reg/web tag '1' to '2'\n"},
		{name: "upstream fields", text: "{{ .AppName }} {{ range .AppChanges }}{{ .Image }}:{{ .OldTag }}->{{ .NewTag }}{{ end }}", want: "web reg/web:1->2"},
		{name: "labels", text: `{{ range .AppChanges }}{{ index .Labels "org.opencontainers.image.revision" }}{{ end }}`, want: "abc123"},
		{name: "missing label is empty", text: `{{ range .AppChanges }}[{{ index .Labels "nope" }}]{{ end }}`, want: "[]"},
		{name: "namespace and alias", text: "{{ .AppNamespace }}{{ range .AppChanges }}/{{ .Alias }}{{ end }}", want: "team/"},
		{name: "syntax error", text: "{{ range .AppChanges }}", parseErr: true},
		{name: "unknown function", text: "{{ upper .AppName }}", parseErr: true},
		{name: "unknown field", text: "{{ .Application }}", runErr: true},
		{name: "unknown change field", text: "{{ range .AppChanges }}{{ .Tag }}{{ end }}", runErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseCommitTemplate(tt.text)
			if tt.parseErr {
				if err == nil || !strings.Contains(err.Error(), "commit message template") {
					t.Fatalf("parse err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			msg, err := RenderCommit(tmpl, changes)
			if tt.runErr {
				if err == nil || !strings.Contains(err.Error(), "commit message template") {
					t.Fatalf("render = %q, %v; want an error", msg, err)
				}
				return
			}
			if err != nil || msg != tt.want {
				t.Fatalf("render = %q, %v; want %q", msg, err, tt.want)
			}
		})
	}
}

func FuzzCommitTemplate(f *testing.F) {
	for _, s := range []string{"", DefaultCommitTemplate, "{{ .AppName }}", "{{ range .AppChanges }}{{ .Labels }}{{ end }}", "{{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tmpl, err := ParseCommitTemplate(text)
		if err != nil {
			return
		}
		// Labels are fetched only for templates that use them: a template
		// UsesLabels says does not must render the same without them.
		if UsesLabels(tmpl) {
			return
		}
		bare := []Change{{App: "a", Image: "reg/a", OldTag: "1", NewTag: "2"}}
		labelled := []Change{{App: "a", Image: "reg/a", OldTag: "1", NewTag: "2", Labels: map[string]string{"k": "v"}}}
		without, err1 := RenderCommit(tmpl, bare)
		with, err2 := RenderCommit(tmpl, labelled)
		if without != with || (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q does not use labels, but renders %q/%v without them and %q/%v with them", text, without, err1, with, err2)
		}
	})
}
