package yamledit

import (
	"errors"
	"reflect"
	"testing"
)

func TestMergeSourceOverrideCases(t *testing.T) {
	p := func(name, value string) HelmParam { return HelmParam{Name: name, Value: value, ForceString: true} }
	tests := []struct {
		name, in string
		params   []HelmParam
		images   []string
		want     string
		changed  bool
	}{
		{"nothing to merge", "helm: {}\n", nil, nil, "helm: {}\n", false},
		{"numeric value quoted", "", []HelmParam{p("a.tag", "1.10")}, nil,
			"helm:\n  parameters:\n  - name: a.tag\n    value: \"1.10\"\n    forcestring: true\n", true},
		{"forcestring false written", "", []HelmParam{{Name: "a", Value: "b"}}, nil,
			"helm:\n  parameters:\n  - name: a\n    value: b\n    forcestring: false\n", true},
		{"both sections", "", []HelmParam{p("a", "b")}, []string{"x:1"},
			"helm:\n  parameters:\n  - name: a\n    value: b\n    forcestring: true\nkustomize:\n  images:\n  - x:1\n", true},
		{"camelCase kept", "helm:\n  parameters:\n  - name: a\n    value: b\n    forceString: true\n", []HelmParam{p("a", "b")}, nil,
			"helm:\n  parameters:\n  - name: a\n    value: b\n    forceString: true\n", false},
		{"absent false stays absent", "helm:\n  parameters:\n  - name: a\n    value: b\n", []HelmParam{{Name: "a", Value: "b"}}, nil,
			"helm:\n  parameters:\n  - name: a\n    value: b\n", false},
		{"null helm section", "helm:\n", []HelmParam{p("a", "b")}, nil,
			"helm:\n  parameters:\n  - name: a\n    value: b\n    forcestring: true\n", true},
		{"only comments", "# nothing\n", nil, []string{"x:1"}, "kustomize:\n  images:\n  - x:1\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var imgs []KustomizeImage
			for _, s := range tt.images {
				img, err := ParseKustomizeImage(s)
				if err != nil {
					t.Fatal(err)
				}
				imgs = append(imgs, img)
			}
			out, changed, err := MergeSourceOverride([]byte(tt.in), tt.params, imgs)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if string(out) != want || changed != tt.changed {
				t.Errorf("got %q changed=%v\nwant %q changed=%v", out, changed, want, tt.changed)
			}
		})
	}
}

func TestMergeSourceOverrideErrors(t *testing.T) {
	tests := []struct {
		name, in string
		images   []KustomizeImage
		want     error
	}{
		{"list root", "- a\n", nil, ErrNotMapping},
		{"helm is a list", "helm: [a]\n", nil, ErrNotMapping},
		{"two documents", "a: 1\n---\nb: 2\n", nil, ErrUnsupported},
		{"broken", "helm: [\n", nil, ErrParse},
		{"bad image", "", []KustomizeImage{{Name: "a b"}}, ErrInvalidImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := MergeSourceOverride([]byte(tt.in), []HelmParam{{Name: "a", Value: "b"}}, tt.images)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReadSourceOverride(t *testing.T) {
	in := "helm:\n  valueFiles: [a.yaml]\n  parameters:\n  - name: t\n    value: 1.10\n    forcestring: true\n  - name: u\n    value: x\n    forceString: true\n  - name: v\n    value: y\nkustomize:\n  images:\n  - nginx=reg/nginx:1.2\n"
	got, err := ReadSourceOverride([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := SourceOverride{
		HelmParams: []HelmParam{{"t", "1.10", true}, {"u", "x", true}, {"v", "y", false}},
		Images:     []KustomizeImage{{Orig: "nginx", Name: "reg/nginx", Tag: "1.2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got, err := ReadSourceOverride(nil); err != nil || !reflect.DeepEqual(got, SourceOverride{}) {
		t.Errorf("empty: %+v %v", got, err)
	}
	if _, err := ReadSourceOverride([]byte("kustomize:\n  images: ['a b']\n")); !errors.Is(err, ErrInvalidImage) {
		t.Errorf("bad image: err = %v", err)
	}
	if _, err := ReadSourceOverride([]byte("helm: [\n")); !errors.Is(err, ErrParse) {
		t.Errorf("broken: err = %v", err)
	}
}
