package target

import (
	"reflect"
	"testing"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

func helmSource(params ...string) *argocd.ApplicationSource {
	h := &argocd.ApplicationSourceHelm{}
	for i := 0; i < len(params); i += 2 {
		h.Parameters = append(h.Parameters, argocd.HelmParameter{Name: params[i], Value: params[i+1]})
	}
	return &argocd.ApplicationSource{RepoURL: "https://git.example/r.git", Path: "p", Helm: h}
}

// TestDeployedStateReadsEachOverrideForm reads the current version from
// each place an application can hold it.
func TestDeployedStateReadsEachOverrideForm(t *testing.T) {
	const dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name     string
		source   *argocd.ApplicationSource
		running  []string
		manifest Manifest
		want     Deployed
	}{
		{"helm default tag parameter", helmSource("image.tag", "1.2.3"), nil, Manifest{}, Deployed{Tag: "1.2.3"}},
		{"helm tag parameter holding tag@digest", helmSource("image.tag", "1.2.3@"+dg), nil, Manifest{}, Deployed{Tag: "1.2.3", Digest: dg}},
		{"helm tag parameter holding a bare digest", helmSource("image.tag", dg), nil, Manifest{}, Deployed{Digest: dg}},
		{"helm custom tag parameter", helmSource("image.tag", "0.1", "web.tag", "2.0"), nil, Manifest{HelmTag: "web.tag"}, Deployed{Tag: "2.0"}},
		{"helm spec parameter with a registry port", helmSource("web.image", "reg.example:5000/team/web:3.1@"+dg), nil, Manifest{HelmSpec: "web.image"}, Deployed{Tag: "3.1", Digest: dg}},
		{"helm spec parameter without tag", helmSource("web.image", "reg.example:5000/team/web"), nil, Manifest{HelmSpec: "web.image"}, Deployed{}},
		{"spec parameter wins over the running image", helmSource("image.tag", "1.0"), []string{"reg.example/team/web:0.9"}, Manifest{}, Deployed{Tag: "1.0", Live: true}},
		{"running image when the spec has none", helmSource("other", "x"), []string{"reg.example/team/web:0.9@" + dg}, Manifest{}, Deployed{Tag: "0.9", Digest: dg, Live: true}},
		{"first running image gives the tag", helmSource(), []string{"reg.example/team/web:0.9", "reg.example/team/web:0.8"}, Manifest{}, Deployed{Tag: "0.9", Live: true}},
		{"other repositories are not live", helmSource(), []string{"reg.example/team/api:1", "other.example/team/web:1", "not a ref!"}, Manifest{}, Deployed{}},
		{"kustomize entry with tag", &argocd.ApplicationSource{Kustomize: &argocd.ApplicationSourceKustomize{Images: []string{"reg.example/team/web:4.0"}}}, nil, Manifest{}, Deployed{Tag: "4.0"}},
		{"kustomize entry renaming the image", &argocd.ApplicationSource{Kustomize: &argocd.ApplicationSourceKustomize{Images: []string{"web=reg.example/team/web:4.1"}}}, nil, Manifest{KustomizeName: "web"}, Deployed{Tag: "4.1"}},
		{"kustomize entry without version", &argocd.ApplicationSource{Kustomize: &argocd.ApplicationSourceKustomize{Images: []string{"reg.example/team/web"}}}, nil, Manifest{}, Deployed{}},
		{"plugin spec variable", &argocd.ApplicationSource{Plugin: &argocd.ApplicationSourcePlugin{Env: []argocd.EnvEntry{{Name: "IMAGE", Value: "reg.example/team/web:5.0"}}}}, nil, Manifest{PluginSpec: "IMAGE"}, Deployed{Tag: "5.0"}},
		{"plugin spec variable wins over the tag variable", &argocd.ApplicationSource{Plugin: &argocd.ApplicationSourcePlugin{Env: []argocd.EnvEntry{{Name: "TAG", Value: "1"}, {Name: "IMAGE", Value: "reg.example/team/web:5.1"}}}}, nil, Manifest{PluginSpec: "IMAGE", PluginTag: "TAG"}, Deployed{Tag: "5.1"}},
		{"plugin without the variable", &argocd.ApplicationSource{Plugin: &argocd.ApplicationSourcePlugin{Env: []argocd.EnvEntry{{Name: "OTHER", Value: "1"}}}}, nil, Manifest{PluginTag: "TAG"}, Deployed{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := argocd.Application{}
			a.Spec.Source = tt.source
			a.Status.Summary.Images = tt.running
			tgt := Target{Manifest: tt.manifest}
			if err := parseInto(&tgt, "reg.example/team/web"); err != nil {
				t.Fatal(err)
			}
			ChooseSource(&a, &tgt)
			if got := DeployedState(&a, tgt); got != tt.want {
				t.Fatalf("DeployedState = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestChooseSourcePicks(t *testing.T) {
	values := argocd.ApplicationSource{RepoURL: "https://git.example/values.git", Ref: "values"}
	plainDir := argocd.ApplicationSource{RepoURL: "https://git.example/dir.git", Path: "d"}
	helmDefault := *helmSource("image.tag", "1")
	helmExplicit := *helmSource("web.tag", "1")
	helmValues := argocd.ApplicationSource{RepoURL: "https://git.example/hv.git", Path: "hv", Helm: &argocd.ApplicationSourceHelm{Values: "image: reg.example/team/web:1", ValueFiles: []string{"values-prod.yaml"}}}
	tests := []struct {
		name      string
		sources   []argocd.ApplicationSource
		manifest  Manifest
		wantIndex int
		wantKind  string
	}{
		{"explicit parameter wins over an earlier default-named one", []argocd.ApplicationSource{helmDefault, helmExplicit}, Manifest{HelmTag: "web.tag"}, 1, KindHelm},
		{"default-named parameter when nothing explicit", []argocd.ApplicationSource{plainDir, helmDefault}, Manifest{}, 1, KindHelm},
		{"image named in helm values", []argocd.ApplicationSource{plainDir, helmValues}, Manifest{}, 1, KindHelm},
		{"values-only ref source is skipped", []argocd.ApplicationSource{values, plainDir}, Manifest{}, 1, "directory"},
		{"first source of the wanted kind", []argocd.ApplicationSource{plainDir, {Path: "k", Kustomize: &argocd.ApplicationSourceKustomize{}}}, Manifest{Kind: KindKustomize}, 1, KindKustomize},
		{"only ref sources: the first", []argocd.ApplicationSource{values, values}, Manifest{}, 0, "directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := argocd.Application{}
			a.Spec.Sources = tt.sources
			tgt := Target{Manifest: tt.manifest}
			if err := parseInto(&tgt, "reg.example/team/web"); err != nil {
				t.Fatal(err)
			}
			ChooseSource(&a, &tgt)
			if tgt.Source.Index != tt.wantIndex || tgt.Source.Kind != tt.wantKind {
				t.Fatalf("source %+v, want index %d kind %s", tgt.Source, tt.wantIndex, tt.wantKind)
			}
			if tt.wantKind != "directory" && tgt.Manifest.Kind != tt.wantKind {
				t.Errorf("manifest kind %q not taken from the source", tgt.Manifest.Kind)
			}
			if tt.wantKind == "directory" && tgt.Manifest.Kind != tt.manifest.Kind {
				t.Errorf("directory source set the manifest kind to %q", tgt.Manifest.Kind)
			}
		})
	}
	t.Run("value files are copied", func(t *testing.T) {
		a := argocd.Application{}
		a.Spec.Sources = []argocd.ApplicationSource{helmValues}
		tgt := Target{}
		_ = parseInto(&tgt, "reg.example/team/web")
		ChooseSource(&a, &tgt)
		if !reflect.DeepEqual(tgt.Source.ValueFiles, []string{"values-prod.yaml"}) || tgt.Source.Path != "hv" {
			t.Fatalf("source %+v", tgt.Source)
		}
	})
	t.Run("detected type of a multi-source app comes from its index", func(t *testing.T) {
		a := argocd.Application{}
		a.Spec.Sources = []argocd.ApplicationSource{plainDir, plainDir}
		a.Status.SourceTypes = []string{"Directory", argocd.SourceTypeKustomize}
		tgt := Target{Manifest: Manifest{Kind: KindKustomize}}
		_ = parseInto(&tgt, "reg.example/team/web")
		ChooseSource(&a, &tgt)
		if tgt.Source.Index != 1 {
			t.Fatalf("source %+v, want the detected kustomize source", tgt.Source)
		}
	})
	t.Run("no sources leaves the target alone", func(t *testing.T) {
		tgt := Target{Source: Source{Index: 7}}
		ChooseSource(&argocd.Application{}, &tgt)
		if tgt.Source.Index != 7 {
			t.Fatalf("source changed: %+v", tgt.Source)
		}
	})
}

func TestKustomizeEntryNameForms(t *testing.T) {
	for in, want := range map[string]string{
		"localhost:5000/app":         "localhost:5000/app",
		"localhost:5000/app:1":       "localhost:5000/app",
		"[::1]:5000/app:1":           "[::1]:5000/app",
		"old=new":                    "old",
		"=new:1":                     "",
		"reg.example/a:b/c":          "reg.example/a:b/c",
		"nginx:1@sha256:abc@junk":    "nginx",
		"":                           "",
		"reg.example:443/team/app:v": "reg.example:443/team/app",
	} {
		if got := KustomizeEntryName(in); got != want {
			t.Errorf("KustomizeEntryName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestManifestDefaults(t *testing.T) {
	var m Manifest
	tgt := Target{}
	_ = parseInto(&tgt, "reg.example/team/web:1.x")
	if m.HelmNameParam() != "image.name" || m.HelmTagParam() != "image.tag" || m.KustomizeImageName(tgt.Image) != "reg.example/team/web" {
		t.Fatalf("defaults %q %q %q", m.HelmNameParam(), m.HelmTagParam(), m.KustomizeImageName(tgt.Image))
	}
}
