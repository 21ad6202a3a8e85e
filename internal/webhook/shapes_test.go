package webhook

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const (
	dgA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	dgB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// TestPayloadShapes covers the variants of each type's payload that the
// sample files do not: legacy field names, fallbacks between fields, several
// events per request, and the hints (tag, digest) a parser drops.
func TestPayloadShapes(t *testing.T) {
	ev := func(source, host, repo, tag, digest string) Event {
		return Event{Registry: host, Repository: repo, Tag: tag, Digest: digest, Source: source}
	}
	tests := []struct {
		name   string
		parser Parser
		target string
		header map[string]string
		body   string
		want   []Event
		// wantErr is the error the parse must wrap; want is then ignored.
		wantErr error
	}{
		// Docker Hub.
		{name: "docker hub namespace and name without repo_name", parser: DockerHubParser{},
			body: `{"push_data":{"tag":"v1"},"repository":{"namespace":"acme","name":"api"}}`,
			want: []Event{ev("docker.io", "docker.io", "acme/api", "v1", "")}},
		{name: "docker hub name alone is an official image", parser: DockerHubParser{},
			body: `{"push_data":{"tag":"v1"},"repository":{"name":"redis"}}`,
			want: []Event{ev("docker.io", "docker.io", "library/redis", "v1", "")}},
		{name: "docker hub malformed tag dropped, event kept", parser: DockerHubParser{},
			body: `{"push_data":{"tag":"-bad tag"},"repository":{"repo_name":"acme/api"}}`,
			want: []Event{ev("docker.io", "docker.io", "acme/api", "", "")}},

		// GitHub packages.
		{name: "github legacy registry_package with owner login", parser: GHCRParser{},
			header: map[string]string{"X-GitHub-Event": "registry_package"},
			body:   `{"action":"updated","registry_package":{"name":"Tool","package_type":"docker","owner":{"login":"Octo-Org"},"package_version":{"version":"` + dgA + `","container_metadata":{"tag":{"name":"2.0"}}}}}`,
			want:   []Event{ev("ghcr.io", "ghcr.io", "octo-org/tool", "2.0", dgA)}},
		{name: "github tag digest wins over version", parser: GHCRParser{},
			body: `{"action":"published","package":{"name":"a","namespace":"o","package_type":"CONTAINER","package_version":{"version":"` + dgA + `","container_metadata":{"tag":{"name":"1","digest":"` + dgB + `"}}}}}`,
			want: []Event{ev("ghcr.io", "ghcr.io", "o/a", "1", dgB)}},
		{name: "github version that is not a digest is dropped", parser: GHCRParser{},
			body: `{"action":"published","package":{"name":"a","namespace":"o","package_type":"container","package_version":{"version":"1.0.0","container_metadata":{"tag":{"name":"1"}}}}}`,
			want: []Event{ev("ghcr.io", "ghcr.io", "o/a", "1", "")}},
		{name: "github push event header yields nothing", parser: GHCRParser{},
			header: map[string]string{"X-GitHub-Event": "push"},
			body:   `{"action":"published","package":{"name":"a","namespace":"o","package_type":"CONTAINER"}}`},
		{name: "github package without owner", parser: GHCRParser{},
			body: `{"action":"published","package":{"name":"a","package_type":"CONTAINER"}}`, wantErr: ErrInvalidPayload},
		{name: "github package without name", parser: GHCRParser{},
			body: `{"action":"published","package":{"namespace":"o","package_type":"CONTAINER"}}`, wantErr: ErrInvalidPayload},
		{name: "github malformed JSON", parser: GHCRParser{}, body: `{"action":`, wantErr: ErrInvalidPayload},

		// Quay.
		{name: "quay repository without docker_url is on quay.io", parser: QuayParser{},
			body: `{"repository":"ns/app","updated_tags":["1"]}`,
			want: []Event{ev("quay.io", "quay.io", "ns/app", "1", "")}},
		{name: "quay without updated tags gives one untagged event", parser: QuayParser{},
			body: `{"docker_url":"quay.io/ns/app"}`,
			want: []Event{ev("quay.io", "quay.io", "ns/app", "", "")}},
		{name: "quay malformed tag in the list dropped", parser: QuayParser{},
			body: `{"docker_url":"quay.io/ns/app","updated_tags":["ok","no/slash"]}`,
			want: []Event{ev("quay.io", "quay.io", "ns/app", "ok", ""), ev("quay.io", "quay.io", "ns/app", "", "")}},
		{name: "quay malformed JSON", parser: QuayParser{}, body: `[]`, wantErr: ErrInvalidPayload},

		// Harbor.
		{name: "harbor namespace and name without repo_full_name, two resources", parser: HarborParser{},
			body: `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":"1","digest":"` + dgA + `","resource_url":"h.example/p/r:1"},{"tag":"latest","digest":"` + dgA + `","resource_url":"h.example/p/r:latest"}],"repository":{"namespace":"p","name":"r"}}}`,
			want: []Event{ev("harbor", "h.example", "p/r", "1", dgA), ev("harbor", "h.example", "p/r", "latest", dgA)}},
		{name: "harbor cloudevents reads data, not event_data", parser: HarborParser{},
			body:    `{"specversion":"1.0","type":"harbor.artifact.pushed","event_data":{"resources":[{"tag":"1","resource_url":"h.example/p/r:1"}],"repository":{"repo_full_name":"p/r"}}}`,
			wantErr: ErrInvalidPayload},
		{name: "harbor cloudevents with another type yields nothing", parser: HarborParser{},
			body: `{"specversion":"1.0","type":"harbor.artifact.deleted","data":{}}`},
		{name: "harbor one bad resource fails the request", parser: HarborParser{},
			body:    `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":"1","resource_url":"h.example/p/r:1"},{"tag":"2","resource_url":"bad_host/p/r:2"}],"repository":{"repo_full_name":"p/r"}}}`,
			wantErr: ErrInvalidPayload},

		// Azure.
		{name: "acr push without repository", parser: ACRParser{},
			body: `{"action":"push","target":{"tag":"1"},"request":{"host":"x.azurecr.io"}}`, wantErr: ErrInvalidPayload},
		{name: "acr malformed JSON", parser: ACRParser{}, body: `{`, wantErr: ErrInvalidPayload},

		// Alibaba.
		{name: "aliyun repo_full_name alone", parser: AliyunACRParser{},
			body: `{"push_data":{"tag":"1"},"repository":{"repo_full_name":"ns/app","region":"cn-beijing"}}`,
			want: []Event{ev("aliyun-acr", "registry.cn-beijing.aliyuncs.com", "ns/app", "1", "")}},
		{name: "aliyun namespace and name win over repo_full_name", parser: AliyunACRParser{},
			body: `{"push_data":{"tag":"1"},"repository":{"namespace":"ns","name":"app","repo_full_name":"old/name","region":"cn-beijing"}}`,
			want: []Event{ev("aliyun-acr", "registry.cn-beijing.aliyuncs.com", "ns/app", "1", "")}},
		{name: "aliyun registry_url without region", parser: AliyunACRParser{}, target: "/webhook?registry_url=ee.example.cn",
			body: `{"push_data":{"tag":"1"},"repository":{"namespace":"ns","name":"app"}}`,
			want: []Event{ev("aliyun-acr", "ee.example.cn", "ns/app", "1", "")}},
		{name: "aliyun without any repository", parser: AliyunACRParser{},
			body: `{"push_data":{"tag":"1"},"repository":{"region":"cn-beijing"}}`, wantErr: ErrInvalidPayload},
		{name: "aliyun malformed JSON", parser: AliyunACRParser{}, body: `"x"`, wantErr: ErrInvalidPayload},

		// CloudEvents.
		{name: "cloudevents generic with a registry member", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"s","type":"push","data":{"registry":"https://r.example/","repository":"team/app","tag":"1","digest":"` + dgA + `"}}`,
			want: []Event{ev("cloudevents", "r.example", "team/app", "1", dgA)}},
		{name: "cloudevents data tag and digest win over the reference's", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"s","type":"push","data":{"repository":"r.example/app:old@` + dgA + `","tag":"new","digest":"` + dgB + `"}}`,
			want: []Event{ev("cloudevents", "r.example", "app", "new", dgB)}},
		{name: "cloudevents reference tag and digest used when data has none", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"s","type":"push","data":{"image":"r.example/app:old@` + dgA + `"}}`,
			want: []Event{ev("cloudevents", "r.example", "app", "old", dgA)}},
		{name: "cloudevents ECR region and account from an ARN source", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"arn:aws:ecr:us-west-2:123456789012:repository/svc","type":"push","data":{"repositoryName":"svc","imageTag":"1"}}`,
			want: []Event{ev("cloudevents", "123456789012.dkr.ecr.us-west-2.amazonaws.com", "svc", "1", "")}},
		{name: "cloudevents ECR data region and registryId win over the source", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"urn:aws:ecr:us-west-2:123456789012:repository/svc","type":"push","data":{"repositoryName":"svc","imageTag":"1","awsRegion":"eu-north-1","registryId":"999988887777"}}`,
			want: []Event{ev("cloudevents", "999988887777.dkr.ecr.eu-north-1.amazonaws.com", "svc", "1", "")}},
		{name: "cloudevents ECR region wins over awsRegion", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"x","type":"push","data":{"repositoryName":"svc","imageTag":"1","region":"ap-east-1","awsRegion":"eu-north-1","registryId":"1"}}`,
			want: []Event{ev("cloudevents", "1.dkr.ecr.ap-east-1.amazonaws.com", "svc", "1", "")}},
		{name: "cloudevents EventBridge event without a result is a push", parser: CloudEventsParser{},
			body: `{"account":"1","region":"r1","detail":{"action-type":"push","repository-name":"a","image-tag":"1"}}`,
			want: []Event{ev("cloudevents", "1.dkr.ecr.r1.amazonaws.com", "a", "1", "")}},
		{name: "cloudevents EventBridge event without account", parser: CloudEventsParser{},
			body: `{"region":"r1","detail":{"action-type":"PUSH","result":"SUCCESS","repository-name":"a","image-tag":"1"}}`, wantErr: ErrInvalidPayload},
		{name: "cloudevents batch of two", parser: CloudEventsParser{},
			header: map[string]string{"Content-Type": "application/cloudevents-batch+json; charset=utf-8"},
			body:   ` [{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"image":"a.example/x:1"}},{"specversion":"1.0","id":"2","source":"s","type":"t","data":{"image":"b.example/y:2"}}]`,
			want:   []Event{ev("cloudevents", "a.example", "x", "1", ""), ev("cloudevents", "b.example", "y", "2", "")}},
		{name: "cloudevents batch with one bad event fails", parser: CloudEventsParser{},
			body:    `[{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"image":"a.example/x:1"}},{"specversion":"1.0","id":"2","source":"s","type":"t"}]`,
			wantErr: ErrInvalidPayload},
		{name: "cloudevents data_base64 that is not base64", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"%%%"}`, wantErr: ErrInvalidPayload},
		{name: "cloudevents data that names no repository", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"tag":"1"}}`, wantErr: ErrInvalidPayload},
		{name: "cloudevents data that is not an object", parser: CloudEventsParser{},
			body: `{"specversion":"1.0","id":"1","source":"s","type":"t","data":"text"}`, wantErr: ErrInvalidPayload},
		{name: "cloudevents binary mode delete type", parser: CloudEventsParser{},
			header: map[string]string{"Ce-Specversion": "1.0", "Ce-Type": "Image.Delete"},
			body:   `{"image":"a.example/x:1"}`},
		{name: "cloudevents binary mode reads the ECR source header", parser: CloudEventsParser{},
			header: map[string]string{"Ce-Specversion": "1.0", "Ce-Type": "push", "Ce-Source": "urn:aws:ecr:sa-east-1:42:repository/a"},
			body:   `{"repositoryName":"a","imageTag":"7"}`,
			want:   []Event{ev("cloudevents", "42.dkr.ecr.sa-east-1.amazonaws.com", "a", "7", "")}},

		// Distribution and GitLab.
		{name: "distribution media type with parameters", parser: DistributionParser{},
			header: map[string]string{"Content-Type": DistributionEventsMediaType + "; charset=utf-8"},
			body:   `{"events":[{"id":"1","action":"push","target":{"repository":"a/b","tag":"1","digest":"` + dgA + `"},"request":{"host":"r.example:5000"}}]}`,
			want:   []Event{ev("distribution", "r.example:5000", "a/b", "1", dgA)}},
		{name: "distribution plain JSON, several pushes, tagged blobs skipped", parser: DistributionParser{},
			header: map[string]string{"Content-Type": "application/json"},
			body: `{"events":[` +
				`{"action":"push","target":{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","repository":"a","tag":"1"},"request":{"host":"r"}},` +
				`{"action":"push","target":{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","repository":"a","tag":"1"},"request":{"host":"r"}},` +
				`{"action":"push","target":{"mediaType":"application/vnd.oci.image.config.v1+json","repository":"a","tag":"1"},"request":{"host":"r"}},` +
				`{"action":"push","target":{"mediaType":"application/vnd.docker.container.image.v1+json","repository":"a","tag":"1"},"request":{"host":"r"}},` +
				`{"action":"push","target":{"mediaType":"application/vnd.oci.image.index.v1+json","repository":"a","tag":"2"},"request":{"host":"r"}},` +
				`{"action":"push","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","repository":"b","tag":"3"},"request":{"host":"r"}}]}`,
			want: []Event{ev("distribution", "r", "a", "2", ""), ev("distribution", "r", "b", "3", "")}},
		{name: "distribution content type that does not parse", parser: DistributionParser{},
			header: map[string]string{"Content-Type": "application/json; =bad"}, body: `{"events":[]}`, wantErr: ErrUnsupportedMediaType},
		{name: "gitlab wrong media type", parser: GitLabParser{},
			header: map[string]string{"Content-Type": "text/html"}, body: `{"events":[]}`, wantErr: ErrUnsupportedMediaType},
		{name: "gitlab bad repository in one event fails the envelope", parser: GitLabParser{},
			body:    `{"events":[{"action":"push","target":{"repository":"group/UPPER CASE","tag":"1"},"request":{"host":"registry.gitlab.example"}}]}`,
			wantErr: ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == "" {
				target = "/webhook"
			}
			got, err := tt.parser.Parse([]byte(tt.body), newRequest(target, tt.header))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || got != nil {
					t.Fatalf("Parse = %+v, %v; want no events and %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestParsersWithoutRequest checks that parsers that look at the request
// also work when handed none (the fuzzers and other callers may pass nil).
func TestParsersWithoutRequest(t *testing.T) {
	tests := []struct {
		parser Parser
		sample string
		want   int
	}{
		{GHCRParser{}, "ghcr.io.json", 1},
		{AliyunACRParser{}, "aliyun-acr.json", 1},
		{CloudEventsParser{}, "cloudevents-ecr.json", 1},
		{DistributionParser{}, "distribution.json", 1},
	}
	for _, tt := range tests {
		t.Run(tt.parser.Type(), func(t *testing.T) {
			got, err := tt.parser.Parse(readSample(t, tt.sample), nil)
			if err != nil || len(got) != tt.want {
				t.Fatalf("Parse(nil request) = %+v, %v; want %d events", got, err, tt.want)
			}
		})
	}
	if id := (GHCRParser{}).DeliveryID(nil, nil); id != "" {
		t.Errorf("GHCR DeliveryID without a request = %q", id)
	}
}

func TestDeliveryIDEdgeCases(t *testing.T) {
	batch := `[{"specversion":"1.0","id":"a","source":"s1","data":{}},{"specversion":"1.0","id":"b","source":"s2","data":{}}]`
	tests := []struct {
		name   string
		ider   DeliveryIDer
		body   string
		header map[string]string
		want   string
	}{
		{"cloudevents batch joins source#id", CloudEventsParser{}, batch, nil, "s1#a,s2#b"},
		{"cloudevents batch with an anonymous event has none", CloudEventsParser{}, `[{"id":"a","source":"s"},{"source":"s"}]`, nil, ""},
		{"cloudevents malformed batch has none", CloudEventsParser{}, `[{"id":`, nil, ""},
		{"cloudevents event without id has none", CloudEventsParser{}, `{"specversion":"1.0","source":"s"}`, nil, ""},
		{"cloudevents malformed event has none", CloudEventsParser{}, `{`, nil, ""},
		{"cloudevents binary mode without Ce-Id has none", CloudEventsParser{}, `{}`, map[string]string{"Ce-Specversion": "1.0", "Ce-Source": "s"}, ""},
		{"distribution anonymous event has none", DistributionParser{}, `{"events":[{"id":"1"},{"action":"push"}]}`, nil, ""},
		{"distribution malformed has none", DistributionParser{}, `{"events":`, nil, ""},
		{"distribution ids are sorted", GitLabParser{}, `{"events":[{"id":"z"},{"id":"a"}]}`, nil, "a,z"},
		{"acr malformed has none", ACRParser{}, `{`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ider.DeliveryID([]byte(tt.body), newRequest("/webhook", tt.header)); got != tt.want {
				t.Errorf("DeliveryID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParserSetRegisterAndLookup(t *testing.T) {
	s := NewParserSet()
	if err := s.Register(nil, QuerySecret()); err == nil {
		t.Error("Register accepted a nil parser")
	}
	if err := s.Register(QuayParser{}, nil); err == nil {
		t.Error("Register accepted a nil verifier")
	}
	if err := s.Register(QuayParser{}, HeaderSecret("X-Token")); err != nil {
		t.Fatal(err)
	}
	p, v, ok := s.Lookup("quay.io")
	if !ok || p.Type() != "quay.io" {
		t.Fatalf("Lookup(quay.io) = %v, %v", p, ok)
	}
	if !v.Verify("k", nil, newRequest("/webhook", map[string]string{"X-Token": "k"})) {
		t.Error("Lookup returned another verifier than the one registered")
	}
	if _, _, ok := s.Lookup("docker.io"); ok {
		t.Error("Lookup found a type that was never registered")
	}
	if got := s.Types(); !reflect.DeepEqual(got, []string{"quay.io"}) {
		t.Errorf("Types = %v", got)
	}
}

func TestDefaultVerifierPerType(t *testing.T) {
	// Each type's scheme, seen from the wrong channels: a secret accepted
	// anywhere else than where the registry sends it would be a weaker check.
	body := []byte(`{}`)
	channels := map[string]*http.Request{
		"query":         newRequest("/webhook?secret=k", nil),
		"authorization": newRequest("/webhook", map[string]string{"Authorization": "Bearer k"}),
		"x-webhook":     newRequest("/webhook", map[string]string{"X-Webhook-Secret": "k"}),
		"gitlab":        newRequest("/webhook", map[string]string{"X-Gitlab-Token": "k"}),
		"signature":     newRequest("/webhook", map[string]string{"X-Hub-Signature-256": sign("k", body)}),
	}
	want := map[string][]string{
		"docker.io": {"query"}, "quay.io": {"query"}, "aliyun-acr": {"query"},
		"ghcr.io": {"signature"}, "harbor": {"authorization"}, "acr": {"authorization"}, "distribution": {"authorization"},
		"cloudevents": {"query", "x-webhook"}, "gitlab": {"gitlab"},
	}
	set := DefaultParserSet()
	for typ, accepted := range want {
		_, v, ok := set.Lookup(typ)
		if !ok {
			t.Fatalf("type %s missing", typ)
		}
		for channel, r := range channels {
			wantOK := strings.Contains(","+strings.Join(accepted, ",")+",", ","+channel+",")
			if got := v.Verify("k", body, r); got != wantOK {
				t.Errorf("%s via %s: Verify = %v, want %v", typ, channel, got, wantOK)
			}
		}
	}
}
