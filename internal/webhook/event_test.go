package webhook

import (
	"errors"
	"strings"
	"testing"
)

func TestNewEventNormalises(t *testing.T) {
	long := strings.Repeat("a", 250) + "/" + strings.Repeat("b", 10)
	tests := []struct {
		name                        string
		host, repo, tag, digest     string
		wantHost, wantRepo, wantTag string
		wantDigest                  string
		wantErr                     string
	}{
		{name: "docker hub alias folded, official image prefixed", host: "index.docker.io", repo: "nginx", tag: "1", wantHost: "docker.io", wantRepo: "library/nginx", wantTag: "1"},
		{name: "registry-1 alias", host: "registry-1.docker.io", repo: "a/b", wantHost: "docker.io", wantRepo: "a/b"},
		{name: "hub alias", host: "hub.docker.com", repo: "a/b", wantHost: "docker.io", wantRepo: "a/b"},
		{name: "registry.hub alias", host: "registry.hub.docker.com", repo: "a/b", wantHost: "docker.io", wantRepo: "a/b"},
		{name: "host lower-cased, scheme and path dropped", host: " HTTPS://Registry.Example.COM:5000/v2/ ", repo: "/team/app/", wantHost: "registry.example.com:5000", wantRepo: "team/app"},
		{name: "ipv6 host", host: "[2001:db8::1]:5000", repo: "a", wantHost: "[2001:db8::1]:5000", wantRepo: "a"},
		{name: "one-part name elsewhere is not prefixed", host: "quay.io", repo: "app", wantHost: "quay.io", wantRepo: "app"},
		{name: "repository keeps its case", host: "r.example", repo: "Team/App", wantHost: "r.example", wantRepo: "Team/App"},
		{name: "separators inside components", host: "r.example", repo: "a__b/c--d/e.f_g", wantHost: "r.example", wantRepo: "a__b/c--d/e.f_g"},
		{name: "tag of 128 characters kept", host: "r.example", repo: "a", tag: "t" + strings.Repeat("1", 127), wantHost: "r.example", wantRepo: "a", wantTag: "t" + strings.Repeat("1", 127)},
		{name: "tag of 129 characters dropped", host: "r.example", repo: "a", tag: "t" + strings.Repeat("1", 128), wantHost: "r.example", wantRepo: "a"},
		{name: "tag starting with a dot dropped", host: "r.example", repo: "a", tag: ".hidden", wantHost: "r.example", wantRepo: "a"},
		{name: "digest kept", host: "r.example", repo: "a", digest: dgA, wantHost: "r.example", wantRepo: "a", wantDigest: dgA},
		{name: "short digest dropped", host: "r.example", repo: "a", digest: "sha256:abc", wantHost: "r.example", wantRepo: "a"},
		{name: "digest without algorithm dropped", host: "r.example", repo: "a", digest: strings.Repeat("a", 64), wantHost: "r.example", wantRepo: "a"},
		{name: "empty host", host: "", repo: "a", wantErr: "registry host"},
		{name: "host with a space", host: "r example", repo: "a", wantErr: "registry host"},
		{name: "port too long", host: "r.example:123456", repo: "a", wantErr: "registry host"},
		{name: "host label ending in a dash", host: "r-.example", repo: "a", wantErr: "registry host"},
		{name: "empty repository", host: "r.example", repo: "/", wantErr: "repository"},
		{name: "double slash in repository", host: "r.example", repo: "a//b", wantErr: "repository"},
		{name: "repository with a tag", host: "r.example", repo: "a:1", wantErr: "repository"},
		{name: "repository over 255 characters", host: "r.example", repo: long, wantErr: "repository"},
		{name: "triple underscore", host: "r.example", repo: "a___b", wantErr: "repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := newEvent("src", tt.host, tt.repo, tt.tag, tt.digest)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidPayload) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("newEvent = %+v, %v; want ErrInvalidPayload about %s", ev, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("newEvent: %v", err)
			}
			want := Event{Registry: tt.wantHost, Repository: tt.wantRepo, Tag: tt.wantTag, Digest: tt.wantDigest, Source: "src"}
			if ev != want {
				t.Errorf("newEvent =\n %+v\nwant\n %+v", ev, want)
			}
		})
	}
}

func TestNewEventErrorsAreShort(t *testing.T) {
	_, err := newEvent("src", "r.example", strings.Repeat("x/", 500), "", "")
	if err == nil || len(err.Error()) > 200 || !strings.Contains(err.Error(), "...") {
		t.Fatalf("error for a huge repository is not truncated: %d bytes", len(err.Error()))
	}
	_, err = newEvent("src", strings.Repeat("h", 300)+"!", "a", "", "")
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("error for a huge host is not truncated: %v", err)
	}
}

func TestRedactUserinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"quay.example.com", "quay.example.com"},
		{"robot:pw@quay.example.com", "xxxxx@quay.example.com"},
		{"a@b@quay.example.com", "xxxxx@quay.example.com"},
		{"user@", "xxxxx@"},
	}
	for _, tt := range tests {
		if got := redactUserinfo(tt.in); got != tt.want {
			t.Errorf("redactUserinfo(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEventKeyGroupsByRepositoryOnly(t *testing.T) {
	a := Event{Registry: "r.example", Repository: "a/b", Tag: "1", Digest: dgA, Source: "harbor"}
	b := Event{Registry: "r.example", Repository: "a/b", Tag: "2", Source: "distribution"}
	c := Event{Registry: "r.example", Repository: "a/c", Tag: "1"}
	if a.Key() != b.Key() || a.Key() != "r.example/a/b" {
		t.Errorf("keys of one repository differ: %q %q", a.Key(), b.Key())
	}
	if a.Key() == c.Key() {
		t.Errorf("keys of two repositories are equal: %q", a.Key())
	}
}
