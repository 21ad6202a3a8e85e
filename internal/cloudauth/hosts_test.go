package cloudauth

import (
	"strings"
	"testing"
	"time"
)

func TestRecognize(t *testing.T) {
	tests := []struct {
		host string
		want Registry
		ok   bool
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", Registry{Provider: AWS, Account: "123456789012", Region: "us-east-1"}, true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", Registry{Provider: AWS, Account: "123456789012", Region: "us-gov-west-1", FIPS: true}, true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", Registry{Provider: AWS, Account: "123456789012", Region: "cn-north-1"}, true},
		{"123456789012.dkr-ecr.eu-central-1.on.aws", Registry{Provider: AWS, Account: "123456789012", Region: "eu-central-1"}, true},
		{"123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM", Registry{Provider: AWS, Account: "123456789012", Region: "us-east-1"}, true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com.cn", Registry{}, false},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com", Registry{}, false},
		{"12345678901.dkr.ecr.us-east-1.amazonaws.com", Registry{}, false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:443", Registry{}, false},
		{"public.ecr.aws", Registry{}, false},
		{"evil.com/123456789012.dkr.ecr.us-east-1.amazonaws.com", Registry{}, false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com", Registry{}, false},
		{"gcr.io", Registry{Provider: GCP}, true},
		{"eu.gcr.io", Registry{Provider: GCP}, true},
		{"us-central1-docker.pkg.dev", Registry{Provider: GCP}, true},
		{"europe-docker.pkg.dev", Registry{Provider: GCP}, true},
		{"docker.pkg.dev", Registry{}, false},
		{"gcr.io.evil.com", Registry{}, false},
		{"myregistry.azurecr.io", Registry{Provider: Azure}, true},
		{"myregistry.azurecr.cn", Registry{Provider: Azure}, true},
		{"myregistry.azurecr.us", Registry{Provider: Azure}, true},
		{"abc.azurecr.io", Registry{}, false},
		{"my-registry.azurecr.io", Registry{}, false},
		{"registry.cn-hangzhou.aliyuncs.com", Registry{Provider: Alibaba, Region: "cn-hangzhou"}, true},
		{"registry-vpc.cn-shanghai.aliyuncs.com", Registry{Provider: Alibaba, Region: "cn-shanghai"}, true},
		{"registry-intl.ap-southeast-1.aliyuncs.com", Registry{Provider: Alibaba, Region: "ap-southeast-1"}, true},
		{"crpi-k3j2h1.cn-hangzhou.personal.cr.aliyuncs.com", Registry{Provider: Alibaba, Region: "cn-hangzhou", Instance: "crpi-k3j2h1"}, true},
		{"shop-registry.cn-beijing.cr.aliyuncs.com", Registry{Provider: Alibaba, Region: "cn-beijing", needsInstance: true}, true},
		{"shop-registry-vpc.cn-beijing.cr.aliyuncs.com", Registry{Provider: Alibaba, Region: "cn-beijing", needsInstance: true}, true},
		{"oss.cn-hangzhou.aliyuncs.com", Registry{}, false},
		{"docker.io", Registry{}, false},
		{"", Registry{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got, ok := Recognize(tt.host)
			if ok != tt.ok {
				t.Fatalf("Recognize(%q) ok = %v, want %v", tt.host, ok, tt.ok)
			}
			if !ok {
				return
			}
			tt.want.Host = strings.ToLower(tt.host)
			if got != tt.want {
				t.Fatalf("Recognize(%q) = %+v, want %+v", tt.host, got, tt.want)
			}
		})
	}
}

func TestAzureScope(t *testing.T) {
	for host, want := range map[string]string{
		"a1b2c.azurecr.io": "https://management.azure.com/.default",
		"a1b2c.azurecr.cn": "https://management.chinacloudapi.cn/.default",
		"a1b2c.azurecr.us": "https://management.usgovcloudapi.net/.default",
	} {
		if got := azureScope(host); got != want {
			t.Errorf("azureScope(%s) = %s, want %s", host, got, want)
		}
	}
}

func TestJWTClaims(t *testing.T) {
	tok := testJWT(map[string]any{"exp": 1700000000, "tid": "tenant-1"})
	if exp, ok := jwtExpiry(tok); !ok || !exp.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("jwtExpiry = %v, %v", exp, ok)
	}
	if got := jwtClaim(tok, "tid"); got != "tenant-1" {
		t.Fatalf("tid = %q", got)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a." + b64url(`[1]`) + ".c", testJWT(map[string]any{"exp": "soon"}), testJWT(map[string]any{"exp": -1})} {
		if _, ok := jwtExpiry(bad); ok {
			t.Errorf("jwtExpiry(%q) ok", bad)
		}
	}
}

func FuzzRecognize(f *testing.F) {
	for _, s := range []string{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "gcr.io", "x-docker.pkg.dev", "abcde.azurecr.io", "registry.cn-hangzhou.aliyuncs.com", "a-registry.cn-beijing.cr.aliyuncs.com", "crpi-a.cn-x.personal.cr.aliyuncs.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		reg, ok := Recognize(host)
		if !ok {
			return
		}
		if strings.ContainsAny(host, ":/@ ") {
			t.Fatalf("recognised %q with a port, path or user", host)
		}
		if reg.Host != strings.ToLower(host) {
			t.Fatalf("host %q became %q", host, reg.Host)
		}
		switch reg.Provider {
		case AWS:
			if len(reg.Account) != 12 || reg.Region == "" {
				t.Fatalf("AWS host %q without account/region: %+v", host, reg)
			}
		case Alibaba:
			if reg.Region == "" {
				t.Fatalf("Alibaba host %q without region", host)
			}
		case GCP, Azure:
		default:
			t.Fatalf("provider %q", reg.Provider)
		}
	})
}

func FuzzJWTExpiry(f *testing.F) {
	f.Add(testJWT(map[string]any{"exp": 1700000000}))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		if exp, ok := jwtExpiry(tok); ok && exp.Unix() <= 0 {
			t.Fatalf("non-positive expiry %v", exp)
		}
		_ = jwtClaim(tok, "tid")
	})
}
