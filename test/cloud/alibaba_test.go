package cloud

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	aliRole     = "acs:ram::1234567890123456:role/imagepilot"
	aliProvider = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c123"
	aliInstance = "cri-abc123"
)

// alibabaFake is Alibaba Cloud STS (AssumeRoleWithOIDC, RPC JSON) and the
// Container Registry API (GetAuthorizationToken: RPC 2018-12-01 with an
// instance id, ROA 2016-06-07 GET /tokens) over https.
type alibabaFake struct {
	iss        *issued
	oidcToken  string
	mu         sync.Mutex
	keys       map[string]bool
	sts, cr    atomic.Int64
	instanceOK atomic.Int64
}

func (f *alibabaFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Form.Get("Action") == "AssumeRoleWithOIDC":
		f.sts.Add(1)
		if r.PostForm.Get("RoleArn") != aliRole || r.PostForm.Get("OIDCProviderArn") != aliProvider || r.PostForm.Get("OIDCToken") != f.oidcToken {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"RequestId":"r","Code":"AuthenticationFail.NoPermission","Message":"no permission to assume the role"}`))
			return
		}
		key := "STS." + randomHex(8)
		f.mu.Lock()
		f.keys[key] = true
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"RequestId": "r", "Credentials": map[string]any{
			"AccessKeyId": key, "AccessKeySecret": randomHex(16), "SecurityToken": randomHex(24),
			"Expiration": time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z"),
		}})
	default:
		f.serveCR(w, r)
	}
}

// serveCR answers when the request carries an access key STS issued.
func (f *alibabaFake) serveCR(w http.ResponseWriter, r *http.Request) {
	f.cr.Add(1)
	key := r.Form.Get("AccessKeyId")
	if key == "" {
		if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
			key, _, _ = strings.Cut(cred, ",")
		}
	}
	if key == "" {
		if _, rest, ok := strings.Cut(r.Header.Get("Authorization"), "acs "); ok {
			key, _, _ = strings.Cut(rest, ":")
		}
	}
	f.mu.Lock()
	known := f.keys[key]
	f.mu.Unlock()
	if !known {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"RequestId":"r","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}`))
		return
	}
	password, user := randomHex(20), "cr_temp_user"
	f.iss.add(user, password)
	exp := time.Now().Add(time.Hour).UnixMilli()
	if r.URL.Path == "/tokens" {
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"authorizationToken": password, "tempUserName": user, "expireDate": exp}})
		return
	}
	action := r.Form.Get("Action") // signature v1 puts it in the query, v3 in x-acs-action
	if action == "" {
		action = r.Header.Get("x-acs-action")
	}
	if action != "GetAuthorizationToken" || r.Form.Get("InstanceId") != aliInstance {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"RequestId":"r","Code":"INSTANCE_NOT_EXIST","Message":"instance not exist"}`))
		return
	}
	f.instanceOK.Add(1)
	_ = json.NewEncoder(w).Encode(map[string]any{"RequestId": "r", "IsSuccess": true, "Code": "success", "TempUsername": user, "AuthorizationToken": password, "ExpireTime": exp})
}

func TestAlibabaRRSAEndToEnd(t *testing.T) {
	iss := newIssued()
	reg := startRegistry(t, iss, nil)
	oidc := "eyJhbGciOiJSUzI1NiJ9.rrsa." + randomHex(8)
	fake := &alibabaFake{iss: iss, oidcToken: oidc, keys: map[string]bool{}}
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	t.Setenv("ALIBABA_CLOUD_STS_ENDPOINT", host)
	t.Setenv("ALIBABA_CLOUD_CR_ENDPOINT", host)
	t.Setenv("ALIBABA_CLOUD_ROLE_ARN", aliRole)
	t.Setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", aliProvider)
	t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", writeFile(t, "oidc-token", oidc))

	t.Run("enterprise instance", func(t *testing.T) {
		const ent = "shop-registry.cn-hangzhou.cr.aliyuncs.com"
		code, out := check(t, writeConf(t, ent, reg.URL, "provider:alibaba?instance="+aliInstance), ent+"/team/app")
		if code != 0 || !strings.Contains(out, "1.1.0") || fake.instanceOK.Load() != 1 {
			t.Fatalf("exit %d, %d instance tokens:\n%s", code, fake.instanceOK.Load(), out)
		}
	})
	t.Run("classic personal edition", func(t *testing.T) {
		const pers = "registry.cn-hangzhou.aliyuncs.com"
		code, out := check(t, writeConf(t, pers, reg.URL, "provider:auto"), pers+"/team/app")
		if code != 0 || !strings.Contains(out, "1.1.0") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("wrong role fails at the cloud credentials step", func(t *testing.T) {
		t.Setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1234567890123456:role/other")
		const pers = "registry.cn-hangzhou.aliyuncs.com"
		code, out := check(t, writeConf(t, pers, reg.URL, "provider:alibaba"), pers+"/team/app")
		if code == 0 || !strings.Contains(out, "cloud credentials") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if strings.Contains(out, oidc) {
			t.Fatal("the OIDC token reached the output")
		}
	})
	t.Run("missing token file fails at the token file step", func(t *testing.T) {
		t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/nonexistent/oidc")
		const pers = "registry.cn-hangzhou.aliyuncs.com"
		code, out := check(t, writeConf(t, pers, reg.URL, "provider:alibaba"), pers+"/team/app")
		if code == 0 || !strings.Contains(out, "token file") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}
