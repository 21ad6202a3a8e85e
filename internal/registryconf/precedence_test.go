package registryconf

import (
	"crypto/tls"
	"os"
	"strings"
	"testing"
)

// TestLookupPrecedence checks the order Lookup applies: the longest prefix
// on a path boundary, then built-in Docker Hub, then the implied entry.
func TestLookupPrecedence(t *testing.T) {
	cfg := mustParse(t, `registries:
- {name: hub-org, api_url: https://registry-1.docker.io, prefix: docker.io/acme, credentials: 'env:ACME'}
- {name: corp, api_url: https://corp.example, prefix: corp.example:5000}
- {name: corp-team, api_url: https://corp.example, prefix: corp.example:5000/team}
- {name: short, api_url: https://a.example, prefix: a.example/x}
- {name: long, api_url: https://a.example, prefix: a.example/x/y/z}
`)
	tests := []struct {
		name, host, repo, want string
	}{
		{"path entry on Docker Hub", "docker.io", "acme/app", "hub-org"},
		{"Docker Hub alias reaches the path entry", "registry-1.docker.io", "acme/app", "hub-org"},
		{"registry.hub alias reaches the path entry", "registry.hub.docker.com", "acme/app", "hub-org"},
		{"rest of Docker Hub stays built in", "docker.io", "library/nginx", "Docker Hub"},
		{"a prefix needs its port", "corp.example", "team/app", "corp.example"},
		{"host with port", "corp.example:5000", "other/app", "corp"},
		{"longer prefix wins", "corp.example:5000", "team/app", "corp-team"},
		{"host case does not matter", "CORP.example:5000", "team/app", "corp-team"},
		{"repository case does", "corp.example:5000", "Team/app", "corp"},
		{"slashes around the repository are ignored", "corp.example:5000", "/team/app/", "corp-team"},
		{"prefix equal to the whole name", "a.example", "x", "short"},
		{"intermediate path falls back to the shorter prefix", "a.example", "x/y", "short"},
		{"deep path reaches the long prefix", "a.example", "x/y/z/app", "long"},
		{"host alone does not match a path prefix", "a.example", "", "a.example"},
		{"unknown host is implied", "other.example", "app", "other.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cfg.Lookup(tt.host, tt.repo); got.Name != tt.want {
				t.Errorf("Lookup(%q, %q) = %q, want %q", tt.host, tt.repo, got.Name, tt.want)
			}
		})
	}
}

func TestLookupOrderInTheFileDoesNotMatter(t *testing.T) {
	a := mustParse(t, "registries:\n- {name: wide, api_url: https://g.io, prefix: g.io}\n- {name: narrow, api_url: https://g.io, prefix: g.io/team}\n")
	b := mustParse(t, "registries:\n- {name: narrow, api_url: https://g.io, prefix: g.io/team}\n- {name: wide, api_url: https://g.io, prefix: g.io}\n")
	for _, cfg := range []*Config{a, b} {
		if got := cfg.Lookup("g.io", "team/app").Name; got != "narrow" {
			t.Errorf("Lookup = %q, want narrow in either order", got)
		}
	}
}

func TestLookupWithoutHostUsesTheDefault(t *testing.T) {
	tests := []struct {
		name, conf, repo, want string
	}{
		{"nil config: Docker Hub", "", "nginx", "Docker Hub"},
		{"default entry wins over Docker Hub", "registries:\n- {name: q, api_url: https://quay.io, prefix: quay.io, default: true}\n", "nginx", "q"},
		{"docker.io entry replaces the built-in default", "registries:\n- {name: mirror, api_url: https://m.example, prefix: docker.io}\n", "nginx", "mirror"},
		{"a docker.io path entry is not the default", "registries:\n- {name: org, api_url: https://m.example, prefix: docker.io/org}\n", "org/app", "Docker Hub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg *Config
			if tt.conf != "" {
				cfg = mustParse(t, tt.conf)
			}
			if got := cfg.Lookup("", tt.repo).Name; got != tt.want {
				t.Errorf("Lookup(\"\", %q) = %q, want %q", tt.repo, got, tt.want)
			}
		})
	}
}

func TestMatchesPrefix(t *testing.T) {
	tests := []struct {
		name, prefix string
		want         bool
	}{
		{"ghcr.io/team/app", "ghcr.io/team", true},
		{"ghcr.io/team", "ghcr.io/team", true},
		{"ghcr.io/teamx/app", "ghcr.io/team", false},
		{"ghcr.io:443/team", "ghcr.io", false},
		{"ghcr.io", "ghcr.io/team", false},
		{"ghcr.io", "", false},
	}
	for _, tt := range tests {
		if got := matchesPrefix(tt.name, tt.prefix); got != tt.want {
			t.Errorf("matchesPrefix(%q, %q) = %v, want %v", tt.name, tt.prefix, got, tt.want)
		}
	}
}

func TestRegistryHostAndPlain(t *testing.T) {
	for prefix, want := range map[string]string{"ghcr.io": "ghcr.io", "reg.example:5000/team/x": "reg.example:5000", "": ""} {
		if got := (Registry{Prefix: prefix}).Host(); got != want {
			t.Errorf("Host of %q = %q, want %q", prefix, got, want)
		}
	}
	p := Plain("Index.Docker.io")
	if p.Prefix != DockerHubHost || p.Name != DockerHubHost || p.TagSortMode != TagSortNone || p.DefaultNS != "" {
		t.Errorf("Plain of a Docker Hub alias = %+v", p)
	}
	if r := (Registry{DefaultNS: "org/sub"}); r.NormalizeRepository("app") != "org/sub/app" {
		t.Errorf("NormalizeRepository with a nested namespace = %q", r.NormalizeRepository("app"))
	}
}

func TestTLSConfigSettings(t *testing.T) {
	caPEM, _ := testCA(t)
	tests := []struct {
		name         string
		reg          Registry
		wantRootCAs  bool
		wantInsecure bool
	}{
		{"no CA keeps the system default (nil pool)", Registry{Name: "r"}, false, false},
		{"ca_data sets a pool", Registry{Name: "r", CAData: caPEM}, true, false},
		{"insecure does not read the CA file", Registry{Name: "r", Insecure: true, CAFile: "/nonexistent/ca.pem"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.reg.TLSConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MinVersion != tls.VersionTLS12 {
				t.Errorf("MinVersion = %x, want TLS 1.2", cfg.MinVersion)
			}
			if (cfg.RootCAs != nil) != tt.wantRootCAs || cfg.InsecureSkipVerify != tt.wantInsecure {
				t.Errorf("RootCAs set %v, insecure %v", cfg.RootCAs != nil, cfg.InsecureSkipVerify)
			}
		})
	}
}

func TestTLSConfigRereadsTheCAFile(t *testing.T) {
	caPEM, _ := testCA(t)
	path := writeFile(t, "ca.pem", caPEM)
	r := Registry{Name: "r", CAFile: path}
	if _, err := r.TLSConfig(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("rotated into garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := r.TLSConfig()
	if err == nil || !strings.Contains(err.Error(), `registry "r": ca_file `+path+" holds no PEM certificate") {
		t.Fatalf("after rotation: %v; want the file read again", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := r.TLSConfig(); err == nil || !strings.Contains(err.Error(), "reading ca_file") {
		t.Fatalf("after removal: %v", err)
	}
}

// FuzzLookup checks Lookup's contract for any host and repository: it
// never fails, a configured entry is returned only when its prefix covers
// the name, and a returned entry is always complete.
func FuzzLookup(f *testing.F) {
	cfg, err := Parse([]byte("registries:\n- {name: t, api_url: https://g.io, prefix: g.io/team}\n- {name: g, api_url: https://g.io, prefix: g.io}\n- {name: d, api_url: https://q.io, prefix: q.io, default: true}\n"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][2]string{{"g.io", "team/a"}, {"G.IO", "/team/"}, {"", "x"}, {"docker.io", "a"}, {"g.io", "teamx"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, host, repo string) {
		r := cfg.Lookup(host, repo)
		if r.Name == "" || r.APIURL == "" || r.Prefix == "" || r.TagSortMode == "" {
			t.Fatalf("Lookup(%q, %q) = incomplete %+v", host, repo, r)
		}
		if host == "" {
			if r.Name != "d" {
				t.Fatalf("Lookup without host = %q, want the default", r.Name)
			}
			return
		}
		name := normalizeHost(host)
		if rr := strings.Trim(repo, "/"); rr != "" {
			name += "/" + rr
		}
		if r.Name == "t" || r.Name == "g" {
			if !matchesPrefix(name, r.Prefix) {
				t.Fatalf("Lookup(%q, %q) = %q whose prefix %q does not cover %q", host, repo, r.Name, r.Prefix, name)
			}
		}
		if r.Name == "g" && matchesPrefix(name, "g.io/team") {
			t.Fatalf("Lookup(%q, %q) chose the shorter prefix", host, repo)
		}
	})
}
