package cloudauth

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    Spec
		wantErr string
	}{
		{in: "aws", want: Spec{Provider: AWS}},
		{in: "gcp", want: Spec{Provider: GCP}},
		{in: "azure", want: Spec{Provider: Azure}},
		{in: "alibaba", want: Spec{Provider: Alibaba}},
		{in: "auto", want: Spec{Provider: Auto}},
		{in: "aws?region=eu-west-1&account=123456789012", want: Spec{Provider: AWS, Region: "eu-west-1", Account: "123456789012"}},
		{in: "alibaba?instance=cri-abc123&region=cn-hangzhou", want: Spec{Provider: Alibaba, Instance: "cri-abc123", Region: "cn-hangzhou"}},
		{in: "azure?clientId=11111111-2222-3333-4444-555555555555&tenant=contoso.onmicrosoft.com", want: Spec{Provider: Azure, ClientID: "11111111-2222-3333-4444-555555555555", Tenant: "contoso.onmicrosoft.com"}},
		{in: "", wantErr: "unknown provider"},
		{in: "AWS", wantErr: "unknown provider \"AWS\""},
		{in: "ibm", wantErr: "unknown provider \"ibm\""},
		{in: "aws?", wantErr: "empty option list"},
		{in: "aws?region", wantErr: "not key=value"},
		{in: "aws?=x", wantErr: "not key=value"},
		{in: "aws?instance=cri-a", wantErr: "unknown option \"instance\""},
		{in: "gcp?region=us-east1", wantErr: "takes no options"},
		{in: "aws?region=us-east-1&region=us-west-2", wantErr: "given twice"},
		{in: "aws?region=US_EAST", wantErr: "not a region"},
		{in: "aws?account=12345", wantErr: "12-digit"},
		{in: "alibaba?instance=abc", wantErr: "instance id"},
		{in: "azure?clientId=nope", wantErr: "GUID"},
		{in: "azure?tenant=-bad", wantErr: "tenant"},
		{in: "aws?region=%zz", wantErr: "bad escape"},
		{in: "aws?region=us-east-1&", wantErr: "not key=value"},
		{in: "auto?region=us-east-1", wantErr: "takes no options"},
		{in: "azure?Tenant=x", wantErr: "unknown option \"Tenant\""},
		{in: "aws?region=us-east-1 ", wantErr: "not a region"},
		{in: "azure?clientId=%31%31111111-2222-3333-4444-555555555555", want: Spec{Provider: Azure, ClientID: "11111111-2222-3333-4444-555555555555"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidSpec) {
					t.Fatalf("ParseSpec(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSpec(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseSpec(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			again, err := ParseSpec(got.String())
			if err != nil || again != got {
				t.Fatalf("round trip %q -> %q: %+v, %v", tt.in, got.String(), again, err)
			}
		})
	}
}

func TestBind(t *testing.T) {
	tests := []struct {
		spec, host string
		want       Registry
		wantErr    string
	}{
		{spec: "auto", host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", want: Registry{Provider: AWS, Host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", Account: "123456789012", Region: "eu-west-1"}},
		{spec: "aws", host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", want: Registry{Provider: AWS, Host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", Account: "123456789012", Region: "eu-west-1"}},
		{spec: "aws?region=us-east-1&account=210987654321", host: "ecr.internal.example", want: Registry{Provider: AWS, Host: "ecr.internal.example", Account: "210987654321", Region: "us-east-1"}},
		{spec: "aws", host: "ecr.internal.example", wantErr: "give ?account"},
		{spec: "aws?region=us-east-1", host: "ecr.internal.example", wantErr: "give ?account"},
		{spec: "aws", host: "myreg.azurecr.io", wantErr: "is a azure registry host"},
		{spec: "auto", host: "registry.example.com", wantErr: "not a registry host of a known cloud"},
		{spec: "auto", host: "europe-west1-docker.pkg.dev", want: Registry{Provider: GCP, Host: "europe-west1-docker.pkg.dev"}},
		{spec: "gcp", host: "gar.example.com:5000", want: Registry{Provider: GCP, Host: "gar.example.com:5000"}},
		{spec: "auto", host: "MyReg01.AzureCR.io", want: Registry{Provider: Azure, Host: "myreg01.azurecr.io"}},
		{spec: "azure?clientId=11111111-2222-3333-4444-555555555555", host: "myreg01.azurecr.io", want: Registry{Provider: Azure, Host: "myreg01.azurecr.io", ClientID: "11111111-2222-3333-4444-555555555555"}},
		{spec: "auto", host: "registry.cn-hangzhou.aliyuncs.com", want: Registry{Provider: Alibaba, Host: "registry.cn-hangzhou.aliyuncs.com", Region: "cn-hangzhou"}},
		{spec: "auto", host: "shop-registry.cn-beijing.cr.aliyuncs.com", wantErr: "give ?instance"},
		{spec: "alibaba?instance=cri-x1y2", host: "shop-registry.cn-beijing.cr.aliyuncs.com", want: Registry{Provider: Alibaba, Host: "shop-registry.cn-beijing.cr.aliyuncs.com", Region: "cn-beijing", Instance: "cri-x1y2", needsInstance: true}},
		{spec: "alibaba", host: "acr.example.com", wantErr: "give ?region"},
		{spec: "alibaba?region=cn-shanghai", host: "acr.example.com", want: Registry{Provider: Alibaba, Host: "acr.example.com", Region: "cn-shanghai"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"@"+tt.host, func(t *testing.T) {
			spec, err := ParseSpec(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := spec.Bind(tt.host)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidSpec) {
					t.Fatalf("Bind error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Bind = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"aws", "auto", "aws?region=us-east-1&account=123456789012", "alibaba?instance=cri-a&region=cn-hangzhou", "azure?tenant=x%2Ey", "gcp?", "?", "aws?a=b&a=b", "aws?serviceAccount=team-a/ecr", "azure?serviceAccount=a%2Fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSpec(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("error does not wrap ErrInvalidSpec: %v", err)
			}
			return
		}
		again, err := ParseSpec(spec.String())
		if err != nil || again != spec {
			t.Fatalf("round trip of %q via %q: %+v, %v", s, spec.String(), again, err)
		}
		_, _ = spec.Bind("h")
	})
}
