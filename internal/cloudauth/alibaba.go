package cloudauth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	cr "github.com/alibabacloud-go/cr-20181201/v2/client"
	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	util "github.com/alibabacloud-go/tea-utils/v2/service"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/credentials-go/credentials"
	"github.com/aliyun/credentials-go/credentials/providers"
	"github.com/google/go-containerregistry/pkg/authn"
)

// Environment variables read here in addition to those credentials-go
// reads: endpoint overrides for private (or test) endpoints.
const (
	// EnvAlibabaSTSEndpoint overrides the STS host of RRSA (host[:port]).
	EnvAlibabaSTSEndpoint = "ALIBABA_CLOUD_STS_ENDPOINT"
	// EnvAlibabaCREndpoint overrides the Container Registry API host
	// (default cr[-vpc].REGION.aliyuncs.com).
	EnvAlibabaCREndpoint = "ALIBABA_CLOUD_CR_ENDPOINT"
)

// alibabaTimeout bounds one Alibaba Cloud API call; the SDK takes no
// context, so the call is also abandoned when ctx ends.
const alibabaTimeout = 20 * time.Second

// alibabaLogin obtains Alibaba Cloud credentials (RRSA when its token file
// is set, else the default chain) and calls GetAuthorizationToken.
func (s *Source) alibabaLogin(ctx context.Context) (authn.AuthConfig, time.Time, error) {
	if err := s.checkTokenFile("ALIBABA_CLOUD_OIDC_TOKEN_FILE"); err != nil {
		return authn.AuthConfig{}, time.Time{}, err
	}
	cred, err := alibabaCredential()
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepCloudCredentials, err)
	}
	if _, err := callWithContext(ctx, func() (*credentials.CredentialModel, error) { return cred.GetCredential() }); err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepCloudCredentials, fmt.Errorf("Alibaba Cloud credentials (%s): %w", tea.StringValue(cred.GetType()), err))
	}
	cfg := &openapi.Config{
		Credential:     cred,
		RegionId:       tea.String(s.reg.Region),
		Endpoint:       tea.String(s.crEndpoint()),
		ReadTimeout:    tea.Int(int(alibabaTimeout / time.Millisecond)),
		ConnectTimeout: tea.Int(int(10 * time.Second / time.Millisecond)),
	}
	var tok alibabaToken
	if s.reg.Instance != "" {
		tok, err = callWithContext(ctx, func() (alibabaToken, error) { return enterpriseToken(cfg, s.reg.Instance) })
	} else {
		tok, err = callWithContext(ctx, func() (alibabaToken, error) { return personalToken(cfg) })
	}
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepRegistryExchange, err)
	}
	expiry := time.UnixMilli(tok.expireMillis)
	if tok.expireMillis <= 0 {
		expiry = time.Now().Add(time.Hour) // the documented lifetime
	}
	return authn.AuthConfig{Username: tok.user, Password: tok.password}, expiry, nil
}

// alibabaCredential returns RRSA's OIDC provider when
// ALIBABA_CLOUD_OIDC_TOKEN_FILE is set (so a broken RRSA setup fails
// instead of falling through to another identity), else the default chain.
func alibabaCredential() (credentials.Credential, error) {
	if os.Getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE") != "" {
		b := providers.NewOIDCCredentialsProviderBuilder()
		if ep := os.Getenv(EnvAlibabaSTSEndpoint); ep != "" {
			b = b.WithSTSEndpoint(ep)
		}
		p, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("RRSA: %w", err)
		}
		return credentials.FromCredentialsProvider("oidc_role_arn", p), nil
	}
	return credentials.FromCredentialsProvider("default", providers.NewDefaultCredentialsProvider()), nil
}

func (s *Source) crEndpoint() string {
	if ep := os.Getenv(EnvAlibabaCREndpoint); ep != "" {
		return ep
	}
	if strings.EqualFold(os.Getenv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"), "true") {
		return "cr-vpc." + s.reg.Region + ".aliyuncs.com"
	}
	return "cr." + s.reg.Region + ".aliyuncs.com"
}

// alibabaToken is a temporary registry login.
type alibabaToken struct {
	user, password string
	expireMillis   int64
}

// enterpriseToken calls GetAuthorizationToken of API 2018-12-01 for an
// instance (enterprise edition and personal instances).
func enterpriseToken(cfg *openapi.Config, instance string) (alibabaToken, error) {
	client, err := cr.NewClient(cfg)
	if err != nil {
		return alibabaToken{}, fmt.Errorf("Container Registry client: %w", err)
	}
	resp, err := client.GetAuthorizationToken(&cr.GetAuthorizationTokenRequest{InstanceId: tea.String(instance)})
	if err != nil {
		return alibabaToken{}, fmt.Errorf("Container Registry GetAuthorizationToken (instance %s): %w", instance, err)
	}
	if resp == nil || resp.Body == nil {
		return alibabaToken{}, errors.New("Container Registry GetAuthorizationToken: empty response")
	}
	b := resp.Body
	if b.IsSuccess != nil && !*b.IsSuccess {
		return alibabaToken{}, fmt.Errorf("Container Registry GetAuthorizationToken (instance %s): failed with code %q", instance, tea.StringValue(b.Code))
	}
	return alibabaToken{user: tea.StringValue(b.TempUsername), password: tea.StringValue(b.AuthorizationToken), expireMillis: tea.Int64Value(b.ExpireTime)}, nil
}

// personalToken calls GetAuthorizationToken of API 2016-06-07 (GET
// /tokens), the classic personal edition, through the SDK's generic
// OpenAPI client: the typed 2016-06-07 SDK discards the response body.
func personalToken(cfg *openapi.Config) (alibabaToken, error) {
	client, err := openapi.NewClient(cfg)
	if err != nil {
		return alibabaToken{}, fmt.Errorf("Container Registry client: %w", err)
	}
	params := &openapi.Params{
		Action: tea.String("GetAuthorizationToken"), Version: tea.String("2016-06-07"),
		Protocol: tea.String("HTTPS"), Pathname: tea.String("/tokens"), Method: tea.String("GET"),
		AuthType: tea.String("AK"), Style: tea.String("ROA"), ReqBodyType: tea.String("json"), BodyType: tea.String("json"),
	}
	res, err := client.CallApi(params, &openapi.OpenApiRequest{}, &util.RuntimeOptions{})
	if err != nil {
		return alibabaToken{}, fmt.Errorf("Container Registry GetAuthorizationToken: %w", err)
	}
	body, _ := res["body"].(map[string]any)
	data, _ := body["data"].(map[string]any)
	if data == nil {
		return alibabaToken{}, errors.New("Container Registry GetAuthorizationToken: response has no data")
	}
	tok := alibabaToken{}
	tok.user, _ = data["tempUserName"].(string)
	tok.password, _ = data["authorizationToken"].(string)
	tok.expireMillis = jsonInt(data["expireDate"])
	return tok, nil
}

// jsonInt reads a JSON number decoded as float64 or json.Number.
func jsonInt(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	case interface{ Int64() (int64, error) }:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// callWithContext runs an SDK call that takes no context and returns
// early when ctx ends (the call then finishes in the background, bounded
// by the SDK's own timeouts).
func callWithContext[T any](ctx context.Context, call func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
