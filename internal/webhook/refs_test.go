package webhook

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestSplitImageNamePinned pins how the CloudEvents "repository"/"image"
// member is split, as it behaved before the splitter moved to imagespec.
func TestSplitImageNamePinned(t *testing.T) {
	tests := []struct {
		name, in                string
		host, repo, tag, digest string
	}{
		{"one part is docker hub", "nginx", "docker.io", "nginx", "", ""},
		{"docker hub digest", "nginx@sha256:x", "docker.io", "nginx", "", "sha256:x"},
		{"docker hub namespace and digest", "a/b@sha256:x", "docker.io", "a/b", "", "sha256:x"},
		{"scheme makes the first part a host", "https://ghcr.io/a/b:1", "ghcr.io", "a/b", "1", ""},
		{"ipv6 host with port", "[::1]:5000/a:1", "[::1]:5000", "a", "1", ""},
		{"localhost", "localhost/a", "localhost", "a", "", ""},
		{"tag and digest", "quay.io/a/b:1@sha256:y", "quay.io", "a/b", "1", "sha256:y"},
		{"userinfo stays in the host", "user:pw@ghcr.io/a/b", "user:pw@ghcr.io", "a/b", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, repo, tag, digest := splitImageName(tt.in)
			if host != tt.host || repo != tt.repo || tag != tt.tag || digest != tt.digest {
				t.Errorf("splitImageName(%q) = %q %q %q %q, want %q %q %q %q", tt.in, host, repo, tag, digest, tt.host, tt.repo, tt.tag, tt.digest)
			}
		})
	}
}

// TestPayloadReferences runs the parsers that read a full reference out of
// the payload (Harbor resource_url, Quay docker_url, GitHub package_url,
// CloudEvents image) over the reference forms senders use.
func TestPayloadReferences(t *testing.T) {
	harbor := func(url string) string {
		return `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":"1","resource_url":"` + url + `"}],"repository":{"repo_full_name":"p/r"}}}`
	}
	quay := func(url string) string { return `{"docker_url":"` + url + `","updated_tags":["1"]}` }
	ghcr := func(url string) string {
		return `{"action":"published","package":{"name":"fallback","namespace":"owner","package_type":"CONTAINER","package_version":{"package_url":"` + url + `","container_metadata":{"tag":{"name":"1"}}}}}`
	}
	image := func(ref string) string {
		return `{"specversion":"1.0","id":"1","source":"s","type":"push","data":{"image":"` + ref + `"}}`
	}
	ev := func(source, host, repo string) []Event {
		return []Event{{Registry: host, Repository: repo, Tag: "1", Source: source}}
	}
	tests := []struct {
		name   string
		parser Parser
		body   string
		want   []Event
		// wantErr, when set, is a substring of the error; the error must
		// also never show the "pw0rd" of a userinfo.
		wantErr string
	}{
		{"harbor url with port", HarborParser{}, harbor("harbor.example.com:8443/p/r:1"), ev("harbor", "harbor.example.com:8443", "p/r"), ""},
		{"harbor url with scheme", HarborParser{}, harbor("https://Harbor.Example.com/p/r:1"), ev("harbor", "harbor.example.com", "p/r"), ""},
		{"harbor url with digest only", HarborParser{}, harbor("harbor.example.com/p/r@sha256:abc"), ev("harbor", "harbor.example.com", "p/r"), ""},
		{"harbor url with userinfo is rejected, redacted", HarborParser{}, harbor("https://robot:pw0rd@harbor.example.com/p/r:1"), nil, "xxxxx@harbor.example.com"},
		{"harbor url with numeric password is not a port", HarborParser{}, harbor("robot:1234@harbor.example.com/p/r:1"), nil, "xxxxx@harbor.example.com"},
		{"harbor url without host", HarborParser{}, harbor(""), nil, "registry host"},
		{"quay self-hosted with scheme", QuayParser{}, quay("https://quay.corp.example/ns/app"), ev("quay.io", "quay.corp.example", "ns/app"), ""},
		{"quay url with userinfo is rejected, redacted", QuayParser{}, quay("https://bot:pw0rd@quay.corp.example/ns/app"), nil, "xxxxx@quay.corp.example"},
		{"quay colon inside the path is rejected", QuayParser{}, quay("quay.io/ns:x/app"), nil, "not a repository name"},
		{"quay host without path", QuayParser{}, quay("quay.io"), nil, "no docker_url"},
		{"ghcr package_url wins over owner/name", GHCRParser{}, ghcr("ghcr.io/Other/App:1"), ev("ghcr.io", "ghcr.io", "other/app"), ""},
		{"ghcr package_url without path falls back", GHCRParser{}, ghcr("ghcr.io"), ev("ghcr.io", "ghcr.io", "owner/fallback"), ""},
		{"ghcr package_url with userinfo is rejected, redacted", GHCRParser{}, ghcr("https://u:pw0rd@ghcr.io/o/a:1"), nil, "xxxxx@ghcr.io"},
		{"cloudevents image with host", CloudEventsParser{}, image("registry.local:5000/a/b:1"), ev("cloudevents", "registry.local:5000", "a/b"), ""},
		{"cloudevents docker hub image", CloudEventsParser{}, image("redis:1"), ev("cloudevents", "docker.io", "library/redis"), ""},
		{"cloudevents image with userinfo is rejected, redacted", CloudEventsParser{}, image("user:pw0rd@ghcr.io/a/b:1"), nil, "xxxxx@ghcr.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parser.Parse([]byte(tt.body), newRequest("/webhook", nil))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidPayload) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse = %+v, %v; want ErrInvalidPayload containing %q", got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw0rd") || strings.Contains(err.Error(), "1234") {
					t.Fatalf("error shows the credentials: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
