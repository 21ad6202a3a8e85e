package access

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// refusingAccounts is a ServiceAccountTokens whose TokenRequests are
// forbidden, counting the attempts.
type refusingAccounts struct{ reads, tokens atomic.Int64 }

func (r *refusingAccounts) Annotations(context.Context, string, string) (map[string]string, error) {
	r.reads.Add(1)
	return map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/team-a"}, nil
}

func (r *refusingAccounts) Token(context.Context, string, string, string) (string, error) {
	r.tokens.Add(1)
	return "", errors.New(`serviceaccounts "ecr" is forbidden`)
}

// TestServiceAccountTokensReachProviderLogins: the resolver hands its
// TokenRequest client to provider: references (registries.conf and
// pullSecret), images of one registry share one failed attempt, and
// without a client (repo mode) the reference is refused.
func TestServiceAccountTokensReachProviderLogins(t *testing.T) {
	const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	conf := mustConf(t, "registries:\n- name: ecr\n  prefix: "+host+"\n  api_url: https://"+host+"\n  credentials: provider:aws?serviceAccount=team-a/ecr\n")
	tests := []struct {
		name, pullSecret string
	}{
		{"registries.conf", ""},
		{"pullSecret", "provider:aws?serviceAccount=team-a/ecr&region=eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accounts := &refusingAccounts{}
			r := NewResolver(conf, nil)
			r.UseServiceAccountTokens(accounts)
			for i := range 20 {
				_, err := r.Auth(context.Background(), mustSpec(t, host+"/team-a/app"+string(rune('a'+i))), tt.pullSecret)
				if err == nil || !strings.Contains(err.Error(), "service account token") || !strings.Contains(err.Error(), "forbidden") {
					t.Fatalf("image %d: %v, want the service account token step", i, err)
				}
			}
			if accounts.tokens.Load() != 1 {
				t.Fatalf("%d TokenRequests for 20 images, want 1", accounts.tokens.Load())
			}
			_, err := NewResolver(conf, nil).Auth(context.Background(), mustSpec(t, host+"/team-a/app"), tt.pullSecret)
			if err == nil || !strings.Contains(err.Error(), "in-cluster controller") {
				t.Fatalf("without TokenRequest client: %v", err)
			}
		})
	}
}
