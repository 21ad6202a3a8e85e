package registryconf

import (
	"errors"
	"strings"
	"testing"
)

func TestProviderCredentials(t *testing.T) {
	tests := []struct {
		name, prefix, creds string
		wantErr             string // with line "registries.conf:5:"
	}{
		{name: "auto on ECR", prefix: "123456789012.dkr.ecr.us-east-1.amazonaws.com", creds: "provider:auto"},
		{name: "aws with options", prefix: "ecr.corp.example", creds: "provider:aws?account=123456789012&region=us-east-1"},
		{name: "alibaba enterprise", prefix: "shop-registry.cn-beijing.cr.aliyuncs.com/team", creds: "provider:alibaba?instance=cri-abc"},
		{name: "unknown provider", prefix: "gcr.io", creds: "provider:ibm", wantErr: `registries.conf:5:16: registry "c": credentials: invalid credential reference: invalid provider credentials: unknown provider "ibm"`},
		{name: "auto on unknown host", prefix: "registry.example.com", creds: "provider:auto", wantErr: "registries.conf:5:16: registry \"c\": credentials: invalid provider credentials: provider:auto"},
		{name: "other cloud", prefix: "myregistry.azurecr.io", creds: "provider:gcp", wantErr: "registries.conf:5:16: registry \"c\": credentials: invalid provider credentials: provider:gcp: \"myregistry.azurecr.io\" is a azure registry host"},
		{name: "enterprise without instance", prefix: "shop-registry.cn-beijing.cr.aliyuncs.com", creds: "provider:auto", wantErr: "give ?instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := "registries:\n- name: c\n  prefix: " + tt.prefix + "\n  api_url: https://" + strings.Split(tt.prefix, "/")[0] + "\n  credentials: " + tt.creds + "\n"
			cfg, err := Parse([]byte(conf))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := cfg.Registries[0].Credentials; got != tt.creds {
					t.Fatalf("credentials %q", got)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
