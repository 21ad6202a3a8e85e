package imagespec

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
	}{
		{"nginx", Spec{Name: "nginx", Registry: "docker.io", Repository: "library/nginx"}},
		{"nginx:1.2.3", Spec{Name: "nginx", Registry: "docker.io", Repository: "library/nginx", Constraint: "1.2.3"}},
		{"bitnami/redis:~7.2", Spec{Name: "bitnami/redis", Registry: "docker.io", Repository: "bitnami/redis", Constraint: "~7.2"}},
		{"guestbook=registry.cn-hongkong.aliyuncs.com/haoshuwei24/guestbook", Spec{Alias: "guestbook", Name: "registry.cn-hongkong.aliyuncs.com/haoshuwei24/guestbook", Registry: "registry.cn-hongkong.aliyuncs.com", Repository: "haoshuwei24/guestbook"}},
		{"app=localhost:5000/team/app:^1.0", Spec{Alias: "app", Name: "localhost:5000/team/app", Registry: "localhost:5000", Repository: "team/app", Constraint: "^1.0"}},
		{"localhost/app", Spec{Name: "localhost/app", Registry: "localhost", Repository: "app"}},
		{"ghcr.io/org/app:>=1.2 <2", Spec{Name: "ghcr.io/org/app", Registry: "ghcr.io", Repository: "org/app", Constraint: ">=1.2 <2"}},
		{"x=ghcr.io/org/app:2.x-0", Spec{Alias: "x", Name: "ghcr.io/org/app", Registry: "ghcr.io", Repository: "org/app", Constraint: "2.x-0"}},
		{"index.docker.io/library/nginx:1.x", Spec{Name: "index.docker.io/library/nginx", Registry: "docker.io", Repository: "library/nginx", Constraint: "1.x"}},
		{"nginx:1.25@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Spec{Name: "nginx", Registry: "docker.io", Repository: "library/nginx", Constraint: "1.25", Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}},
		{"my/alias=quay.io/a/b", Spec{Alias: "my/alias", Name: "quay.io/a/b", Registry: "quay.io", Repository: "a/b"}},
		{"  spaced = nginx:latest  ", Spec{Alias: "spaced", Name: "nginx", Registry: "docker.io", Repository: "library/nginx", Constraint: "latest"}},
		{"Registry.Example.COM/team/app:1.x", Spec{Name: "Registry.Example.COM/team/app", Registry: "registry.example.com", Repository: "team/app", Constraint: "1.x"}},
		{"registry.example.com:8443/a/b/c:1.0 || 2.0", Spec{Name: "registry.example.com:8443/a/b/c", Registry: "registry.example.com:8443", Repository: "a/b/c", Constraint: "1.0 || 2.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q)\n got  %+v\n want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"", "=nginx", "-bad=nginx", "Nginx", "nginx:", "a=", "ghcr.io/", "ghcr.io//x",
		"nginx@sha256:short", "bad host!/x/y", "x=ghcr.io/Org/app", "0 :000/",
	} {
		t.Run(in, func(t *testing.T) {
			if _, err := Parse(in); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error = %v, want ErrInvalid", in, err)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	specs, err := ParseList("guestbook=reg.example.com/ns/guestbook, redis-master=reg.example.com/ns/redis:~7,")
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 || specs[0].Alias != "guestbook" || specs[1].Constraint != "~7" {
		t.Fatalf("unexpected %+v", specs)
	}
	if _, err := ParseList("a=nginx,a=redis"); err == nil {
		t.Fatal("duplicate alias accepted")
	}
	if _, err := ParseList("nginx,Bad Image"); err == nil {
		t.Fatal("bad item accepted")
	}
}

func TestAnnotationAlias(t *testing.T) {
	s, err := Parse("team/app=nginx")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.AnnotationAlias(); got != "team_app" {
		t.Fatalf("AnnotationAlias = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"nginx", "a=ghcr.io/x/y:~1.2", "localhost:5000/a:>=1 <2", "x=nginx:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		spec, err := Parse(in)
		if err != nil {
			return
		}
		again, err := Parse(spec.String())
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", spec.String(), in, err)
		}
		if again != spec {
			t.Fatalf("round trip of %q: %+v != %+v", in, again, spec)
		}
	})
}
