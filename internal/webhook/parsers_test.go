package webhook

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	return b
}

func newRequest(target string, header map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return r
}

func TestParsersWithSamples(t *testing.T) {
	tests := []struct {
		name   string
		parser Parser
		sample string
		target string
		header map[string]string
		want   []Event
	}{
		{
			name: "docker hub user repository", parser: DockerHubParser{}, sample: "docker.io.json",
			want: []Event{{Registry: "docker.io", Repository: "acmecorp/checkout-api", Tag: "v2.14.1", Source: "docker.io"}},
		},
		{
			name: "docker hub official image gets library/", parser: DockerHubParser{}, sample: "docker.io-official.json",
			want: []Event{{Registry: "docker.io", Repository: "library/nginx", Tag: "1.27.1-alpine", Source: "docker.io"}},
		},
		{
			name: "ghcr package published, lower-cased from package_url", parser: GHCRParser{}, sample: "ghcr.io.json",
			header: map[string]string{"X-GitHub-Event": "package"},
			want: []Event{{Registry: "ghcr.io", Repository: "acme-labs/billing-worker", Tag: "v3.0.2",
				Digest: "sha256:5b0c8a1f3e2d4c6b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b", Source: "ghcr.io"}},
		},
		{
			name: "quay one event per updated tag", parser: QuayParser{}, sample: "quay.io.json",
			want: []Event{
				{Registry: "quay.io", Repository: "streamworks/ingest-gateway", Tag: "1.8.0", Source: "quay.io"},
				{Registry: "quay.io", Repository: "streamworks/ingest-gateway", Tag: "1.8", Source: "quay.io"},
			},
		},
		{
			name: "harbor default format", parser: HarborParser{}, sample: "harbor.json",
			want: []Event{{Registry: "harbor.platform.example.net", Repository: "payments/ledger", Tag: "2025.08.04-1",
				Digest: "sha256:e3b5c1a9d7f2046b8c1e9a3d5f7b2c4e6a8d0f1b3c5e7a9d2f4b6c8e0a1d3f5b", Source: "harbor"}},
		},
		{
			name: "harbor cloudevents format", parser: HarborParser{}, sample: "harbor-cloudevents.json",
			want: []Event{{Registry: "harbor.platform.example.net", Repository: "payments/ledger", Tag: "2025.08.04-1",
				Digest: "sha256:e3b5c1a9d7f2046b8c1e9a3d5f7b2c4e6a8d0f1b3c5e7a9d2f4b6c8e0a1d3f5b", Source: "harbor"}},
		},
		{
			name: "azure acr push", parser: ACRParser{}, sample: "acr.json",
			want: []Event{{Registry: "contosoapps.azurecr.io", Repository: "frontend/storefront", Tag: "build-4812",
				Digest: "sha256:0f4e8d2c6b1a9e7d5c3b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d", Source: "acr"}},
		},
		{
			name: "aliyun region host", parser: AliyunACRParser{}, sample: "aliyun-acr.json",
			want: []Event{{Registry: "registry.cn-hangzhou.aliyuncs.com", Repository: "shopline/order-service", Tag: "release-0.42.0",
				Digest: "sha256:7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c", Source: "aliyun-acr"}},
		},
		{
			name: "aliyun enterprise host from registry_url", parser: AliyunACRParser{}, sample: "aliyun-acr.json",
			target: "/webhook?type=aliyun-acr&registry_url=shop-registry.cn-hangzhou.cr.aliyuncs.com",
			want: []Event{{Registry: "shop-registry.cn-hangzhou.cr.aliyuncs.com", Repository: "shopline/order-service", Tag: "release-0.42.0",
				Digest: "sha256:7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c", Source: "aliyun-acr"}},
		},
		{
			name: "cloudevents ECR via input transformer", parser: CloudEventsParser{}, sample: "cloudevents-ecr.json",
			header: map[string]string{"Content-Type": "application/cloudevents+json"},
			want: []Event{{Registry: "210987654321.dkr.ecr.eu-west-1.amazonaws.com", Repository: "team-a/reporting", Tag: "4.2.0",
				Digest: "sha256:2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c4e", Source: "cloudevents"}},
		},
		{
			name: "cloudevents wrapping an EventBridge event", parser: CloudEventsParser{}, sample: "cloudevents-eventbridge.json",
			want: []Event{{Registry: "210987654321.dkr.ecr.us-east-2.amazonaws.com", Repository: "edge/proxy", Tag: "v0.19.3",
				Digest: "sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0", Source: "cloudevents"}},
		},
		{
			name: "cloudevents generic data", parser: CloudEventsParser{}, sample: "cloudevents-generic.json",
			want: []Event{{Registry: "registry.example.org:5443", Repository: "tools/linter", Tag: "3.1.4",
				Digest: "sha256:1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809", Source: "cloudevents"}},
		},
		{
			name: "gitlab registry notification", parser: GitLabParser{}, sample: "gitlab.json",
			header: map[string]string{"Content-Type": DistributionEventsMediaType},
			want: []Event{{Registry: "registry.gitlab.example.com", Repository: "platform/observability/collector", Tag: "0.104.0",
				Digest: "sha256:4d6f8b0d2f4b6d8f0b2d4f6b8d0f2b4d6f8b0d2f4b6d8f0b2d4f6b8d0f2b4d6f", Source: "gitlab"}},
		},
		{
			name: "distribution envelope: blob skipped, tagged manifest kept", parser: DistributionParser{}, sample: "distribution.json",
			header: map[string]string{"Content-Type": DistributionEventsMediaType},
			want: []Event{{Registry: "127.0.0.1:5000", Repository: "team/hello", Tag: "1.4.0",
				Digest: "sha256:8e1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f", Source: "distribution"}},
		},
		{
			name: "distribution 2.8.2 envelope captured from a real push", parser: DistributionParser{}, sample: "distribution-2.8.2-manifest.json",
			header: map[string]string{"Content-Type": DistributionEventsMediaType, "Authorization": "Bearer tok"},
			want: []Event{{Registry: "127.0.0.1:40445", Repository: "team/hello", Tag: "1.4.0",
				Digest: "sha256:f37f8fdcf4f92dc3e5fcc6ea3b3792391cd41dae1c13dcc79bb7c0cd1b2b7c66", Source: "distribution"}},
		},
		{
			name: "distribution 2.8.2 blob push captured from a real push", parser: DistributionParser{}, sample: "distribution-2.8.2-blob.json",
			header: map[string]string{"Content-Type": DistributionEventsMediaType},
			want:   nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == "" {
				target = "/webhook?type=" + tt.parser.Type()
			}
			got, err := tt.parser.Parse(readSample(t, tt.sample), newRequest(target, tt.header))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParsersSkipNonPushEvents(t *testing.T) {
	tests := []struct {
		name   string
		parser Parser
		body   string
		header map[string]string
	}{
		{"ghcr ping", GHCRParser{}, `{"zen":"Keep it logically awesome.","hook_id":1}`, map[string]string{"X-GitHub-Event": "ping"}},
		{"ghcr npm package", GHCRParser{}, `{"action":"published","package":{"name":"x","namespace":"o","package_type":"npm"}}`, nil},
		{"ghcr deleted action", GHCRParser{}, `{"action":"deleted","package":{"name":"x","namespace":"o","package_type":"CONTAINER"}}`, nil},
		{"harbor pull", HarborParser{}, `{"type":"PULL_ARTIFACT","event_data":{"repository":{"repo_full_name":"a/b"}}}`, nil},
		{"acr delete", ACRParser{}, `{"action":"delete","target":{"repository":"a"},"request":{"host":"x.azurecr.io"}}`, nil},
		{"acr untagged push", ACRParser{}, `{"action":"push","target":{"repository":"a","digest":"sha256:00"},"request":{"host":"x.azurecr.io"}}`, nil},
		{"distribution pull", DistributionParser{}, `{"events":[{"action":"pull","target":{"repository":"a","tag":"1"},"request":{"host":"r:5000"}}]}`, nil},
		{"distribution push by digest", DistributionParser{}, `{"events":[{"action":"push","target":{"repository":"a","mediaType":"application/vnd.oci.image.manifest.v1+json"},"request":{"host":"r:5000"}}]}`, nil},
		{"distribution delete", DistributionParser{}, `{"events":[{"action":"delete","target":{"repository":"a","tag":"1"},"request":{"host":"r:5000"}}]}`, nil},
		{"distribution empty envelope", DistributionParser{}, `{"events":[]}`, nil},
		{"ecr failed push", CloudEventsParser{}, `{"account":"1","region":"r","detail":{"action-type":"PUSH","result":"FAILURE","repository-name":"a","image-tag":"1"}}`, nil},
		{"ecr delete", CloudEventsParser{}, `{"account":"1","region":"r","detail":{"action-type":"DELETE","result":"SUCCESS","repository-name":"a","image-tag":"1"}}`, nil},
		{"cloudevent delete type", CloudEventsParser{}, `{"specversion":"1.0","id":"1","source":"s","type":"image.deleted","data":{"repository":"a/b","tag":"1"}}`, nil},
		{"cloudevent untagged", CloudEventsParser{}, `{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"repository":"a/b"}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parser.Parse([]byte(tt.body), newRequest("/webhook", tt.header))
			if err != nil || len(got) != 0 {
				t.Fatalf("Parse = %+v, %v; want no events, no error", got, err)
			}
		})
	}
}

func TestParsersRejectBadPayloads(t *testing.T) {
	tests := []struct {
		name   string
		parser Parser
		body   string
		header map[string]string
		want   error
	}{
		{"docker malformed JSON", DockerHubParser{}, `{"push_data":`, nil, ErrInvalidPayload},
		{"docker no repository", DockerHubParser{}, `{"push_data":{"tag":"1"}}`, nil, ErrInvalidPayload},
		{"docker bad repository", DockerHubParser{}, `{"repository":{"repo_name":"a b/c"}}`, nil, ErrInvalidPayload},
		{"ghcr no package", GHCRParser{}, `{"action":"published"}`, nil, ErrInvalidPayload},
		{"quay no url", QuayParser{}, `{"updated_tags":["1"]}`, nil, ErrInvalidPayload},
		{"harbor push without resources", HarborParser{}, `{"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":"a/b"}}}`, nil, ErrInvalidPayload},
		{"harbor bad host", HarborParser{}, `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":"1","resource_url":"bad host!/a/b:1"}],"repository":{"repo_full_name":"a/b"}}}`, nil, ErrInvalidPayload},
		{"acr no host", ACRParser{}, `{"action":"push","target":{"repository":"a","tag":"1"}}`, nil, ErrInvalidPayload},
		{"aliyun no region", AliyunACRParser{}, `{"push_data":{"tag":"1"},"repository":{"namespace":"a","name":"b"}}`, nil, ErrInvalidPayload},
		{"cloudevents no data", CloudEventsParser{}, `{"specversion":"1.0","id":"1","source":"s","type":"t"}`, nil, ErrInvalidPayload},
		{"cloudevents ecr without region", CloudEventsParser{}, `{"specversion":"1.0","id":"1","source":"x","type":"t","data":{"repositoryName":"a","imageTag":"1"}}`, nil, ErrInvalidPayload},
		{"cloudevents array of junk", CloudEventsParser{}, `[1,2]`, nil, ErrInvalidPayload},
		{"distribution not JSON", DistributionParser{}, `events: []`, nil, ErrInvalidPayload},
		{"distribution push without host", DistributionParser{}, `{"events":[{"id":"1","action":"push","target":{"repository":"a","tag":"1"}}]}`, nil, ErrInvalidPayload},
		{"distribution wrong media type", DistributionParser{}, `{"events":[]}`, map[string]string{"Content-Type": "text/plain"}, ErrUnsupportedMediaType},
		{"gitlab malformed", GitLabParser{}, `{"events":{}}`, nil, ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parser.Parse([]byte(tt.body), newRequest("/webhook", tt.header))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %+v, %v; want error %v", got, err, tt.want)
			}
		})
	}
}

func TestCloudEventsModes(t *testing.T) {
	data := `{"repositoryName":"svc/api","imageTag":"1.2.3","registryId":"111122223333","region":"ap-south-1"}`
	want := []Event{{Registry: "111122223333.dkr.ecr.ap-south-1.amazonaws.com", Repository: "svc/api", Tag: "1.2.3", Source: "cloudevents"}}
	tests := []struct {
		name   string
		body   string
		header map[string]string
		wantID string
	}{
		{
			name: "binary mode", body: data,
			header: map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "abc", "Ce-Source": "urn:aws:ecr:x", "Ce-Type": "com.amazon.ecr.image.push", "Content-Type": "application/json"},
			wantID: "urn:aws:ecr:x#abc",
		},
		{
			name:   "batch mode",
			body:   `[{"specversion":"1.0","id":"e1","source":"s","type":"t","data":` + data + `}]`,
			header: map[string]string{"Content-Type": "application/cloudevents-batch+json"},
			wantID: "s#e1",
		},
		{
			name:   "data_base64",
			body:   `{"specversion":"1.0","id":"e2","source":"s","type":"t","data_base64":"eyJyZXBvc2l0b3J5TmFtZSI6InN2Yy9hcGkiLCJpbWFnZVRhZyI6IjEuMi4zIiwicmVnaXN0cnlJZCI6IjExMTEyMjIyMzMzMyIsInJlZ2lvbiI6ImFwLXNvdXRoLTEifQ=="}`,
			wantID: "s#e2",
		},
		{
			name:   "bare EventBridge event",
			body:   `{"version":"0","id":"eb1","detail-type":"ECR Image Action","source":"aws.ecr","account":"111122223333","region":"ap-south-1","detail":{"result":"SUCCESS","repository-name":"svc/api","action-type":"PUSH","image-tag":"1.2.3"}}`,
			wantID: "aws.ecr#eb1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest("/webhook?type=cloudevents", tt.header)
			got, err := CloudEventsParser{}.Parse([]byte(tt.body), r)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
			}
			if id := (CloudEventsParser{}).DeliveryID([]byte(tt.body), r); id != tt.wantID {
				t.Errorf("DeliveryID = %q, want %q", id, tt.wantID)
			}
		})
	}
}

func TestDeliveryIDs(t *testing.T) {
	tests := []struct {
		name   string
		ider   DeliveryIDer
		sample string
		header map[string]string
		want   string
	}{
		{"github delivery header", GHCRParser{}, "ghcr.io.json", map[string]string{"X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}, "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		{"acr event id", ACRParser{}, "acr.json", nil, "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"},
		{"distribution sorted event ids", DistributionParser{}, "distribution.json", nil, "b7c0a3a4-1f9e-4d3c-8e2a-5c6b7d8e9f01,e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"},
		{"gitlab event id", GitLabParser{}, "gitlab.json", nil, "6f1f4e2b-3a9c-4d7e-b8a1-2c3d4e5f6a7b"},
		{"cloudevents source and id", CloudEventsParser{}, "cloudevents-ecr.json", nil, "urn:aws:ecr:eu-west-1:210987654321:repository/team-a/reporting#3b9d2a74-55e1-c0f8-1a2b-7c6d5e4f3a2b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ider.DeliveryID(readSample(t, tt.sample), newRequest("/webhook", tt.header)); got != tt.want {
				t.Errorf("DeliveryID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultParserSetHasEveryType(t *testing.T) {
	want := []string{"acr", "aliyun-acr", "cloudevents", "distribution", "docker.io", "ghcr.io", "gitlab", "harbor", "quay.io"}
	if got := DefaultParserSet().Types(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Types = %v, want %v", got, want)
	}
	if err := DefaultParserSet().Register(QuayParser{}, QuerySecret()); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("duplicate Register error = %v", err)
	}
}

func TestSplitImageName(t *testing.T) {
	tests := []struct{ in, host, repo, tag string }{
		{"nginx", "docker.io", "nginx", ""},
		{"bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2"},
		{"localhost/app:1", "localhost", "app", "1"},
		{"registry.local:5000/a/b:2", "registry.local:5000", "a/b", "2"},
	}
	for _, tt := range tests {
		host, repo, tag, _ := splitImageName(tt.in)
		if host != tt.host || repo != tt.repo || tag != tt.tag {
			t.Errorf("splitImageName(%q) = %q %q %q, want %q %q %q", tt.in, host, repo, tag, tt.host, tt.repo, tt.tag)
		}
	}
}

func TestInvalidHostErrorHidesUserinfo(t *testing.T) {
	_, err := newEvent("quay.io", "https://robot:Sup3rSecret@quay.example.com:bad/x", "org/app", "1", "")
	if err == nil {
		t.Fatal("invalid host accepted")
	}
	if strings.Contains(err.Error(), "Sup3rSecret") || !strings.Contains(err.Error(), "xxxxx@quay.example.com:bad") {
		t.Fatalf("error: %v", err)
	}
}
