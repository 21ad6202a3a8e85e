package imagespec

import (
	"errors"
	"strings"
	"testing"
)

func TestSplitHostedReference(t *testing.T) {
	tests := []struct {
		name, ref               string
		host, repo, tag, digest string
	}{
		{"host and path", "quay.io/ns/name", "quay.io", "ns/name", "", ""},
		{"https scheme dropped", "https://quay.io/ns/name", "quay.io", "ns/name", "", ""},
		{"other scheme dropped", "oci://h/a", "h", "a", "", ""},
		{"bare :// dropped", "://h/a", "h", "a", "", ""},
		{"surrounding space trimmed", "  quay.io/ns/name:1  ", "quay.io", "ns/name", "1", ""},
		{"tag", "harbor.example.com/p/r:tag", "harbor.example.com", "p/r", "tag", ""},
		{"host port is not a tag", "harbor.example.com:8443/p/r@sha256:abc", "harbor.example.com:8443", "p/r", "", "sha256:abc"},
		{"tag and digest", "h/p/r:t@sha256:abc", "h", "p/r", "t", "sha256:abc"},
		{"host only", "h", "h", "", "", ""},
		{"host with port only", "h:5000", "h:5000", "", "", ""},
		{"host only with trailing slash", "h/", "h", "", "", ""},
		{"empty", "", "", "", "", ""},
		{"empty tag after colon", "h/a:", "h", "a", "", ""},
		{"second @ stays in the digest", "h/a@b@c", "h", "a", "", "b@c"},
		{"userinfo stays in the host", "https://robot:pw@quay.example.com/a/b", "robot:pw@quay.example.com", "a/b", "", ""},
		{"userinfo without scheme stays in the host", "robot:pw@quay.example.com/a/b:1", "robot:pw@quay.example.com", "a/b", "1", ""},
		{"@ without a slash is part of the host", "h@sha256:x", "h@sha256:x", "", "", ""},
		{"colon before the last slash is not a tag", "h/a:b/c", "h", "a:b/c", "", ""},
		{"ipv6 host", "[::1]:5000/a:1", "[::1]:5000", "a", "1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, repo, tag, digest := SplitHostedReference(tt.ref)
			if host != tt.host || repo != tt.repo || tag != tt.tag || digest != tt.digest {
				t.Errorf("SplitHostedReference(%q) = %q, %q, %q, %q; want %q, %q, %q, %q",
					tt.ref, host, repo, tag, digest, tt.host, tt.repo, tt.tag, tt.digest)
			}
		})
	}
}

// FuzzSplitHostedReference checks that the host never holds a slash, that
// user information never leaks into the repository, tag or digest, and that
// the parts agree with SplitReference on the path.
func FuzzSplitHostedReference(f *testing.F) {
	for _, s := range []string{"quay.io/a/b:1", "https://u:p@h/a@sha256:x", "h@x", "://", "a:b/c:d/e@f@g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		host, repo, tag, digest := SplitHostedReference(ref)
		if strings.Contains(host, "/") {
			t.Fatalf("SplitHostedReference(%q): host %q holds a slash", ref, host)
		}
		trimmed := strings.TrimSpace(ref)
		if i := strings.Index(trimmed, "://"); i >= 0 {
			trimmed = trimmed[i+3:]
		}
		if !strings.HasPrefix(trimmed, host) {
			t.Fatalf("SplitHostedReference(%q): host %q is not the start of %q", ref, host, trimmed)
		}
		_, rest, found := strings.Cut(trimmed, "/")
		if !found && (repo != "" || tag != "" || digest != "") {
			t.Fatalf("SplitHostedReference(%q) found a path without a slash", ref)
		}
		if r, tg, d := SplitReference(rest); found && (r != repo || tg != tag || d != digest) {
			t.Fatalf("SplitHostedReference(%q) path parts %q %q %q differ from SplitReference %q %q %q", ref, repo, tag, digest, r, tg, d)
		}
	})
}

func TestSplitHost(t *testing.T) {
	tests := []struct{ name, in, host, path string }{
		{"one part has no host", "nginx", "", "nginx"},
		{"docker hub namespace is not a host", "bitnami/redis", "", "bitnami/redis"},
		{"dot makes a host", "ghcr.io/org/app", "ghcr.io", "org/app"},
		{"port makes a host", "registry:5000/app", "registry:5000", "app"},
		{"localhost is a host", "localhost/app", "localhost", "app"},
		{"bracketed ipv6 is a host", "[::1]/app", "[::1]", "app"},
		{"LocalHost in another case is not", "LocalHost/app", "", "LocalHost/app"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if host, path := SplitHost(tt.in); host != tt.host || path != tt.path {
				t.Errorf("SplitHost(%q) = %q, %q; want %q, %q", tt.in, host, path, tt.host, tt.path)
			}
		})
	}
}

func TestSpecAccessors(t *testing.T) {
	tests := []struct {
		in                          string
		fullName, key, withTag, str string
	}{
		{"nginx", "docker.io/library/nginx", "docker.io/library/nginx", "nginx:v2", "nginx"},
		{"web=ghcr.io/org/app:~1.2", "ghcr.io/org/app", "web", "ghcr.io/org/app:v2", "web=ghcr.io/org/app:~1.2"},
		{"registry-1.docker.io/bitnami/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			"docker.io/bitnami/redis", "docker.io/bitnami/redis", "registry-1.docker.io/bitnami/redis:v2",
			"registry-1.docker.io/bitnami/redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.FullName(); got != tt.fullName {
				t.Errorf("FullName = %q, want %q", got, tt.fullName)
			}
			if got := s.Key(); got != tt.key {
				t.Errorf("Key = %q, want %q", got, tt.key)
			}
			if got := s.WithTag("v2"); got != tt.withTag {
				t.Errorf("WithTag = %q, want %q", got, tt.withTag)
			}
			if got := s.String(); got != tt.str {
				t.Errorf("String = %q, want %q", got, tt.str)
			}
		})
	}
}

func TestSameImageIgnoresAliasConstraintAndHostSpelling(t *testing.T) {
	a, _ := Parse("a=index.docker.io/library/nginx:1.x")
	b, _ := Parse("nginx:latest")
	c, _ := Parse("quay.io/library/nginx")
	if !a.SameImage(b) {
		t.Errorf("%v and %v should be the same image", a, b)
	}
	if a.SameImage(c) {
		t.Errorf("%v and %v should differ", a, c)
	}
}

func TestRepo(t *testing.T) {
	s, err := Parse("registry.example.com:5000/team/app")
	if err != nil {
		t.Fatal(err)
	}
	for _, insecure := range []bool{false, true} {
		repo, err := s.Repo(insecure)
		if err != nil {
			t.Fatal(err)
		}
		if repo.RegistryStr() != "registry.example.com:5000" || repo.RepositoryStr() != "team/app" {
			t.Errorf("Repo(%v) = %s", insecure, repo)
		}
		if scheme := repo.Scheme(); (scheme == "http") != insecure {
			t.Errorf("Repo(%v) scheme %q", insecure, scheme)
		}
	}
	local, _ := Parse("localhost:5000/app")
	if repo, _ := local.Repo(false); repo.Scheme() != "http" {
		t.Errorf("localhost scheme %q, want http (go-containerregistry's rule)", repo.Scheme())
	}
	bad := Spec{Name: "x", Registry: "ghcr.io", Repository: "UPPER/Case"}
	if _, err := bad.Repo(false); err == nil || !strings.Contains(err.Error(), `image "x"`) {
		t.Errorf("Repo of a bad repository: %v", err)
	}
}

func TestParseErrorMessagesSayWhatIsWrong(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-bad=nginx", "alias"},
		{"nginx@sha256:short", "malformed digest"},
		{"nginx:", "empty constraint"},
		{"bad!.host/x/y", "invalid registry host"},
		{"ghcr.io/", "missing repository"},
		{"ghcr.io/Org/app", `component "Org"`},
		{"a=", "missing image name"},
		{"app: /0", "must not contain '/'"},
		{"ghcr.io/org/app:1.x /2", "must not contain '/'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("Parse(%q) = %v; want ErrInvalid naming the input and %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseListNamesTheItem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nginx, ,Bad", "item 3:"},
		{"a=nginx,b=redis,a=quay.io/x/y", `item 3: invalid image spec: "a" appears twice`},
		{"nginx,index.docker.io/library/nginx", `item 2: invalid image spec: "docker.io/library/nginx" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if _, err := ParseList(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseList(%q) = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
	if specs, err := ParseList(" , ,"); err != nil || len(specs) != 0 {
		t.Errorf("ParseList of empty items = %v, %v", specs, err)
	}
}

// FuzzParseList checks that a list either parses into specs with unique
// keys, each of which parses again from its own text, or fails naming an
// item.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"a=nginx, b=redis:~7", "nginx,nginx", ",,", "x=ghcr.io/a/b:>=1 <2,y=quay.io/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		specs, err := ParseList(in)
		if err != nil {
			if !strings.Contains(err.Error(), "item ") {
				t.Fatalf("ParseList(%q) error names no item: %v", in, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, s := range specs {
			if seen[s.Key()] {
				t.Fatalf("ParseList(%q): key %q twice", in, s.Key())
			}
			seen[s.Key()] = true
			if again, err := Parse(s.String()); err != nil || again != s {
				t.Fatalf("ParseList(%q): item %q does not parse back: %v", in, s.String(), err)
			}
		}
	})
}
