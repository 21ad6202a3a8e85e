package registryconf

import (
	"testing"
)

func mustParse(t *testing.T, in string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLookup(t *testing.T) {
	cfg := mustParse(t, `registries:
- {name: ghcr, api_url: https://ghcr.io, prefix: ghcr.io}
- {name: ghcr-team, api_url: https://ghcr.io, prefix: ghcr.io/team, credentials: "env:TEAM"}
- {name: ghcr-team-app, api_url: https://ghcr.io, prefix: ghcr.io/team/app}
- {name: local, api_url: http://localhost:5000, prefix: localhost:5000}
- {name: quay, api_url: https://quay.io, prefix: quay.io, default: true, defaultns: mirror}
`)
	tests := []struct {
		host, repo string
		wantName   string
		wantAPI    string
	}{
		{"ghcr.io", "other/app", "ghcr", "https://ghcr.io"},
		{"ghcr.io", "team/web", "ghcr-team", "https://ghcr.io"},
		{"ghcr.io", "team/app", "ghcr-team-app", "https://ghcr.io"},
		{"ghcr.io", "team/app/sub", "ghcr-team-app", "https://ghcr.io"},
		{"ghcr.io", "team/application", "ghcr-team", "https://ghcr.io"}, // segment boundary
		{"ghcr.io", "teamx/app", "ghcr", "https://ghcr.io"},
		{"GHCR.io", "team/web", "ghcr-team", "https://ghcr.io"},
		{"ghcr.io", "", "ghcr", "https://ghcr.io"},
		{"localhost:5000", "x", "local", "http://localhost:5000"},
		{"localhost:5001", "x", "localhost:5001", "https://localhost:5001"},
		{"docker.io", "library/nginx", "Docker Hub", "https://registry-1.docker.io"},
		{"index.docker.io", "library/nginx", "Docker Hub", "https://registry-1.docker.io"},
		{"registry.example.com", "a/b", "registry.example.com", "https://registry.example.com"},
		{"", "nginx", "quay", "https://quay.io"}, // no host: the default registry
	}
	for _, tt := range tests {
		got := cfg.Lookup(tt.host, tt.repo)
		if got.Name != tt.wantName || got.APIURL != tt.wantAPI {
			t.Errorf("Lookup(%q, %q) = %s %s, want %s %s", tt.host, tt.repo, got.Name, got.APIURL, tt.wantName, tt.wantAPI)
		}
	}
}

func TestLookupDockerHub(t *testing.T) {
	var nilCfg *Config
	hub := nilCfg.Lookup("docker.io", "library/nginx")
	if hub != DockerHub() || hub.DefaultNS != "library" || hub.APIURL != "https://registry-1.docker.io" {
		t.Errorf("built-in Docker Hub = %+v", hub)
	}
	over := mustParse(t, "registries:\n- {name: mirror, api_url: https://mirror.example.com, prefix: docker.io, credentials: 'env:HUB'}\n")
	if got := over.Lookup("docker.io", "library/nginx"); got.Name != "mirror" || got.DefaultNS != "" {
		t.Errorf("conf entry for docker.io did not override the built-in: %+v", got)
	}
	// An entry for a Docker Hub path does not replace Docker Hub elsewhere.
	part := mustParse(t, "registries:\n- {name: org, api_url: https://registry-1.docker.io, prefix: docker.io/myorg, credentials: 'env:ORG'}\n")
	if got := part.Lookup("docker.io", "myorg/app"); got.Name != "org" {
		t.Errorf("docker.io/myorg/app -> %q, want org", got.Name)
	}
	if got := part.Lookup("docker.io", "library/nginx"); got.Name != "Docker Hub" {
		t.Errorf("docker.io/library/nginx -> %q, want Docker Hub", got.Name)
	}
}

func TestDefaultRegistry(t *testing.T) {
	tests := []struct {
		name     string
		conf     string
		wantName string
		wantOK   bool
	}{
		{"no config", "", "Docker Hub", false},
		{"configured default", "registries:\n- {name: q, api_url: https://quay.io, prefix: quay.io, default: true}\n", "q", true},
		{"docker.io entry without default", "registries:\n- {name: hub, api_url: https://registry-1.docker.io, prefix: docker.io}\n", "hub", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := mustParse(t, tt.conf).DefaultRegistry()
			if got.Name != tt.wantName || ok != tt.wantOK {
				t.Errorf("DefaultRegistry() = %q, %v; want %q, %v", got.Name, ok, tt.wantName, tt.wantOK)
			}
		})
	}
}

func TestRegistryHelpers(t *testing.T) {
	r := Registry{Prefix: "ghcr.io/team", DefaultNS: "library"}
	if r.Host() != "ghcr.io" {
		t.Errorf("Host() = %q", r.Host())
	}
	for in, want := range map[string]string{"nginx": "library/nginx", "a/b": "a/b", "": ""} {
		if got := r.NormalizeRepository(in); got != want {
			t.Errorf("NormalizeRepository(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (Registry{}).NormalizeRepository("nginx"); got != "nginx" {
		t.Errorf("without defaultns: %q", got)
	}
	if p := Plain("Registry.Example.com:443"); p.APIURL != "https://registry.example.com:443" || p.Prefix != "registry.example.com:443" {
		t.Errorf("Plain = %+v", p)
	}
}
