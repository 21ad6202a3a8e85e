package webhook

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzParser checks that a parser never panics and that whatever it returns
// is a well-formed event.
func fuzzParser(f *testing.F, p Parser, samples []string, extra ...string) {
	for _, name := range samples {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
	}
	for _, s := range extra {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(`{}`), "application/json")
	f.Add([]byte(`[]`), "application/cloudevents-batch+json")
	f.Add([]byte(`null`), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := httptest.NewRequest(http.MethodPost, "/webhook?type="+p.Type(), nil)
		r.Header.Set("Content-Type", contentType)
		events, err := p.Parse(body, r)
		if err != nil && len(events) > 0 {
			t.Fatalf("Parse returned events and an error: %v", err)
		}
		for _, ev := range events {
			if !hostPattern.MatchString(ev.Registry) || !repoPattern.MatchString(ev.Repository) || ev.Source != p.Type() {
				t.Fatalf("malformed event %+v", ev)
			}
			if ev.Registry == dockerHubHost && !strings.Contains(ev.Repository, "/") {
				t.Fatalf("docker hub repository not normalised: %+v", ev)
			}
		}
		if ider, ok := p.(DeliveryIDer); ok {
			_ = ider.DeliveryID(body, r)
		}
	})
}

func FuzzParseDockerHub(f *testing.F) {
	fuzzParser(f, DockerHubParser{}, []string{"docker.io.json", "docker.io-official.json"},
		`{"repository":{"namespace":"a","name":"b"},"push_data":{"tag":"x"}}`)
}

func FuzzParseGHCR(f *testing.F) {
	fuzzParser(f, GHCRParser{}, []string{"ghcr.io.json"},
		`{"action":"updated","registry_package":{"name":"n","owner":{"login":"O"},"package_type":"docker","package_version":{}}}`)
}

func FuzzParseQuay(f *testing.F) {
	fuzzParser(f, QuayParser{}, []string{"quay.io.json"}, `{"docker_url":"https://quay.example/a/b","updated_tags":[]}`)
}

func FuzzParseHarbor(f *testing.F) {
	fuzzParser(f, HarborParser{}, []string{"harbor.json", "harbor-cloudevents.json"})
}

func FuzzParseACR(f *testing.F) {
	fuzzParser(f, ACRParser{}, []string{"acr.json"})
}

func FuzzParseAliyunACR(f *testing.F) {
	fuzzParser(f, AliyunACRParser{}, []string{"aliyun-acr.json"})
}

func FuzzParseCloudEvents(f *testing.F) {
	fuzzParser(f, CloudEventsParser{}, []string{"cloudevents-ecr.json", "cloudevents-eventbridge.json", "cloudevents-generic.json"},
		`[{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"image":"nginx:1"}}]`,
		`{"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"e30="}`)
}

func FuzzParseGitLab(f *testing.F) {
	fuzzParser(f, GitLabParser{}, []string{"gitlab.json"})
}

func FuzzParseDistribution(f *testing.F) {
	fuzzParser(f, DistributionParser{}, []string{"distribution.json", "distribution-2.8.2-manifest.json", "distribution-2.8.2-blob.json"})
}

func FuzzVerifyHMACSHA256(f *testing.F) {
	f.Add("s3cret", []byte(`{"a":1}`), sign("s3cret", []byte(`{"a":1}`)))
	f.Add("", []byte(``), "sha256=")
	f.Add("k", []byte(`x`), "sha256=zz")
	f.Fuzz(func(t *testing.T, secret string, body []byte, header string) {
		got := VerifyHMACSHA256(secret, body, header)
		if got && secret == "" {
			t.Fatal("verified with an empty secret")
		}
		if got && strings.TrimSpace(header) != sign(secret, body) && !strings.EqualFold(strings.TrimSpace(header), sign(secret, body)) {
			t.Fatalf("verified a header that is not the signature: %q", header)
		}
		if secret != "" && !VerifyHMACSHA256(secret, body, sign(secret, body)) {
			t.Fatal("rejected its own signature")
		}
	})
}
