package yamledit

import (
	"errors"
	"testing"
)

func TestSetKustomizeImageErrors(t *testing.T) {
	tests := []struct {
		name, in, image, newTag, digest string
		want                            error
	}{
		{"empty name", "images: []\n", "", "1", "", ErrInvalidImage},
		{"nothing to set", "images: []\n", "app", "", "", ErrInvalidImage},
		{"space in tag", "images: []\n", "app", "1 2", "", ErrInvalidImage},
		{"not a mapping", "- a\n", "app", "1", "", ErrNotMapping},
		{"images is a mapping", "images:\n  a: b\n", "app", "1", "", ErrUnsupported},
		{"flow images append", "images: []\n", "app", "1", "", ErrUnsupported},
		{"stale digest", "images:\n- name: app\n  digest: sha256:11\n", "app", "2", "", ErrInvalidImage},
		{"alias field", "t: &t 1\nimages:\n- name: app\n  newTag: *t\n", "app", "2", "", ErrAlias},
		{"broken yaml", "images: [\n", "app", "2", "", ErrParse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := SetKustomizeImage([]byte(tt.in), tt.image, "", tt.newTag, tt.digest)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSetKustomizeImageCases(t *testing.T) {
	tests := []struct {
		name, in                       string
		image, newName, newTag, digest string
		want                           string
		changed                        bool
	}{
		{"tag only", "images:\n- name: app\n  newTag: '1'\n", "app", "", "2", "", "images:\n- name: app\n  newTag: '2'\n", true},
		{"same tag", "images:\n- name: app\n  newTag: \"1\"\n", "app", "", "1", "", "images:\n- name: app\n  newTag: \"1\"\n", false},
		{"redundant newName skipped", "images:\n- name: app\n  newTag: 1.0.0\n", "app", "app", "1.0.1", "", "images:\n- name: app\n  newTag: 1.0.1\n", true},
		{"empty file", "", "app", "", "1.0", "", "images:\n- name: app\n  newTag: \"1.0\"\n", true},
		{"crlf", "images:\r\n- name: app\r\n  newTag: v1\r\n", "app", "", "v2", digestA, "images:\r\n- name: app\r\n  newTag: v2\r\n  digest: " + digestA + "\r\n", true},
		{"flow entry", "images:\n- {name: app, newTag: v1}\n", "app", "", "v2", "", "images:\n- {name: app, newTag: v2}\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := SetKustomizeImage([]byte(tt.in), tt.image, tt.newName, tt.newTag, tt.digest)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want || changed != tt.changed {
				t.Errorf("got %q changed=%v, want %q changed=%v", out, changed, tt.want, tt.changed)
			}
		})
	}
}

func TestGetKustomizeImage(t *testing.T) {
	in := "images:\n- name: app\n  newName: reg/app\n  newTag: \"1.10\"\n  digest: sha256:ab\n- name: other\n"
	got, found, err := GetKustomizeImage([]byte(in), "app")
	want := KustomizationImage{Name: "app", NewName: "reg/app", NewTag: "1.10", Digest: "sha256:ab"}
	if err != nil || !found || got != want {
		t.Errorf("got %+v,%v,%v want %+v", got, found, err, want)
	}
	if _, found, err := GetKustomizeImage([]byte(in), "missing"); found || err != nil {
		t.Errorf("missing: found=%v err=%v", found, err)
	}
	if _, found, err := GetKustomizeImage(nil, "app"); found || err != nil {
		t.Errorf("empty: found=%v err=%v", found, err)
	}
	if _, _, err := GetKustomizeImage([]byte("- a\n"), "app"); !errors.Is(err, ErrNotMapping) {
		t.Errorf("list root: err=%v", err)
	}
}

func TestParseKustomizeImage(t *testing.T) {
	tests := []struct {
		in   string
		want KustomizeImage
		err  bool
	}{
		{"nginx", KustomizeImage{Name: "nginx"}, false},
		{"reg:5000/team/app:1.0", KustomizeImage{Name: "reg:5000/team/app", Tag: "1.0"}, false},
		{"reg:5000/team/app", KustomizeImage{Name: "reg:5000/team/app"}, false},
		{"nginx=reg/nginx:1.2@sha256:ab", KustomizeImage{Orig: "nginx", Name: "reg/nginx", Tag: "1.2", Digest: "sha256:ab"}, false},
		{"app@sha256:ab", KustomizeImage{Name: "app", Digest: "sha256:ab"}, false},
		{"", KustomizeImage{}, true},
		{"=app", KustomizeImage{}, true},
		{"app:", KustomizeImage{}, true},
		{"app@sha256", KustomizeImage{}, true},
		{"a pp", KustomizeImage{}, true},
		{"a=b=c", KustomizeImage{}, true},
		{"app@sha256:ab@sha256:cd", KustomizeImage{}, true},
		{"app@b@c", KustomizeImage{}, true},
		{"reg:5000/app:@sha256:ab", KustomizeImage{}, true},
		{"app@", KustomizeImage{}, true},
	}
	for _, tt := range tests {
		got, err := ParseKustomizeImage(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%q: err = %v", tt.in, err)
			continue
		}
		if tt.err {
			if !errors.Is(err, ErrInvalidImage) {
				t.Errorf("%q: err = %v, want ErrInvalidImage", tt.in, err)
			}
			continue
		}
		if got != tt.want || got.String() != tt.in {
			t.Errorf("%q: got %+v (%s)", tt.in, got, got)
		}
	}
}
