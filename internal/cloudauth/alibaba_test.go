package cloudauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	aliKeyID  = "LTAIunittest0001"
	aliSecret = "alibaba-unit-test-access-key-secret"
)

// crFake is Alibaba Cloud's Container Registry API over https: RPC
// GetAuthorizationToken of 2018-12-01 (Action in the query or, signature
// v3, in x-acs-action; InstanceId) and ROA GET /tokens of 2016-06-07. It
// answers body with status when the request is signed with aliKeyID.
type crFake struct {
	status   int
	body     string
	requests []string
}

func (f *crFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	auth := r.Header.Get("Authorization")
	if !strings.Contains(auth, "Credential="+aliKeyID+",") && !strings.HasPrefix(auth, "acs "+aliKeyID+":") && r.Form.Get("AccessKeyId") != aliKeyID {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"RequestId":"r","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}`))
		return
	}
	action := r.Form.Get("Action")
	if action == "" {
		action = r.Header.Get("x-acs-action")
	}
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+" "+action+" "+r.Form.Get("InstanceId"))
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte(f.body))
}

func TestAlibabaLogin(t *testing.T) {
	expMillis := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
	const personal, enterprise = "registry.cn-hangzhou.aliyuncs.com", "shop-registry.cn-hangzhou.cr.aliyuncs.com"
	tests := []struct {
		name, host, spec string
		status           int
		body             string
		noKeys           bool
		oidcFile         bool // an empty ALIBABA_CLOUD_OIDC_TOKEN_FILE
		step, errText    string
		wantRequest      string
		wantUser         string
		wantExp          time.Time // zero: an hour from now
	}{
		{name: "enterprise instance", host: enterprise, spec: "alibaba?instance=cri-unit01", status: 200,
			body:        `{"RequestId":"r","IsSuccess":true,"Code":"success","TempUsername":"cr_temp_user","AuthorizationToken":"ali-registry-pw","ExpireTime":` + strconv.FormatInt(expMillis, 10) + `}`,
			wantRequest: "GetAuthorizationToken cri-unit01", wantUser: "cr_temp_user", wantExp: time.UnixMilli(expMillis)},
		{name: "personal instance host carries its id", host: "crpi-unit02.cn-hangzhou.personal.cr.aliyuncs.com", spec: "auto", status: 200,
			body:        `{"IsSuccess":true,"TempUsername":"u2","AuthorizationToken":"ali-registry-pw"}`,
			wantRequest: "GetAuthorizationToken crpi-unit02", wantUser: "u2"},
		{name: "classic personal edition", host: personal, spec: "auto", status: 200,
			body:        `{"data":{"tempUserName":"cr_temp_user","authorizationToken":"ali-registry-pw","expireDate":` + strconv.FormatInt(expMillis, 10) + `}}`,
			wantRequest: "GET /tokens", wantUser: "cr_temp_user", wantExp: time.UnixMilli(expMillis)},
		{name: "classic personal edition without expiry", host: personal, spec: "alibaba", status: 200,
			body: `{"data":{"tempUserName":"u3","authorizationToken":"ali-registry-pw"}}`, wantRequest: "GET /tokens", wantUser: "u3"},
		{name: "instance call answers failure", host: enterprise, spec: "alibaba?instance=cri-unit01", status: 200,
			body: `{"IsSuccess":false,"Code":"INSTANCE_NOT_EXIST"}`, step: StepRegistryExchange, errText: `code "INSTANCE_NOT_EXIST"`},
		{name: "instance call refused", host: enterprise, spec: "alibaba?instance=cri-unit01", status: 403,
			body: `{"RequestId":"r","Code":"Forbidden.RAM","Message":"User not authorized to operate on the specified resource."}`, step: StepRegistryExchange, errText: "Forbidden.RAM"},
		{name: "personal edition answers no data", host: personal, spec: "alibaba", status: 200, body: `{"code":"ok"}`,
			step: StepRegistryExchange, errText: "no data"},
		{name: "personal edition answers empty credentials", host: personal, spec: "alibaba", status: 200, body: `{"data":{"tempUserName":"u"}}`,
			step: StepRegistryExchange, errText: "empty credentials"},
		{name: "no credentials", host: personal, spec: "alibaba", noKeys: true, step: StepCloudCredentials, errText: "Alibaba Cloud credentials"},
		{name: "empty RRSA token file", host: personal, spec: "alibaba", oidcFile: true, step: StepTokenFile, errText: "ALIBABA_CLOUD_OIDC_TOKEN_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &crFake{status: tt.status, body: tt.body}
			srv := httptest.NewTLSServer(fake)
			defer srv.Close()
			t.Setenv(EnvAlibabaCREndpoint, strings.TrimPrefix(srv.URL, "https://"))
			if !tt.noKeys {
				t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", aliKeyID)
				t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", aliSecret)
			}
			if tt.oidcFile {
				t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", tokenFile(t, ""))
			}
			s := mustSource(t, tt.spec, tt.host, "")
			cfg, exp, err := s.ResolveExpiring(context.Background())
			wantStep(t, err, tt.step, aliSecret, "ali-registry-pw")
			if err != nil {
				if !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error %q does not say %q", err, tt.errText)
				}
				return
			}
			if len(fake.requests) != 1 || !strings.Contains(fake.requests[0], tt.wantRequest) {
				t.Fatalf("requests %q, want one with %q", fake.requests, tt.wantRequest)
			}
			if cfg.Username != tt.wantUser || cfg.Password != "ali-registry-pw" {
				t.Fatalf("credentials %q/%q", cfg.Username, cfg.Password)
			}
			want := tt.wantExp
			if want.IsZero() {
				want = time.Now().Add(time.Hour)
			}
			if d := exp.Sub(want); d < -time.Minute || d > time.Minute {
				t.Fatalf("expiry %v, want %v", exp, want)
			}
		})
	}
}

func TestCREndpoint(t *testing.T) {
	tests := []struct{ override, vpc, want string }{
		{want: "cr.cn-shanghai.aliyuncs.com"},
		{vpc: "true", want: "cr-vpc.cn-shanghai.aliyuncs.com"},
		{vpc: "TRUE", want: "cr-vpc.cn-shanghai.aliyuncs.com"},
		{vpc: "yes", want: "cr.cn-shanghai.aliyuncs.com"},
		{override: "cr.internal.example:8443", vpc: "true", want: "cr.internal.example:8443"},
	}
	s := &Source{reg: Registry{Provider: Alibaba, Region: "cn-shanghai"}}
	for _, tt := range tests {
		t.Setenv(EnvAlibabaCREndpoint, tt.override)
		t.Setenv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", tt.vpc)
		if got := s.crEndpoint(); got != tt.want {
			t.Errorf("crEndpoint(override %q, vpc %q) = %q, want %q", tt.override, tt.vpc, got, tt.want)
		}
	}
}

type jsonNumber string

func (n jsonNumber) Int64() (int64, error) {
	if n == "bad" {
		return 0, errors.New("bad")
	}
	return 1700000000123, nil
}

func TestJSONInt(t *testing.T) {
	tests := []struct {
		in   any
		want int64
	}{
		{float64(1700000000123), 1700000000123},
		{int64(5), 5},
		{7, 7},
		{jsonNumber("1700000000123"), 1700000000123},
		{jsonNumber("bad"), 0},
		{"1700000000123", 0},
		{nil, 0},
	}
	for _, tt := range tests {
		if got := jsonInt(tt.in); got != tt.want {
			t.Errorf("jsonInt(%#v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestCallWithContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := callWithContext(ctx, func() (int, error) { <-release; return 1, nil })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("blocked call: %v after %v, want the context's deadline", err, time.Since(start))
	}
	v, err := callWithContext(context.Background(), func() (int, error) { return 42, errors.New("sdk") })
	if v != 42 || err == nil || err.Error() != "sdk" {
		t.Fatalf("finished call = %d, %v; want its own result", v, err)
	}
}
