package cloudauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// awsLogin loads the SDK's default configuration (credential chain and
// endpoint overrides such as AWS_ENDPOINT_URL_STS/AWS_ENDPOINT_URL_ECR)
// in the registry's region, obtains credentials, then calls ECR
// GetAuthorizationToken.
func (s *Source) awsLogin(ctx context.Context) (authn.AuthConfig, time.Time, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(s.reg.Region)}
	if s.reg.FIPS {
		opts = append(opts, config.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
	}
	var cfg aws.Config
	var err error
	if s.reg.ServiceAccount != "" {
		if cfg, err = s.awsServiceAccountConfig(ctx, opts); err != nil {
			return authn.AuthConfig{}, time.Time{}, err
		}
	} else {
		if err := s.checkTokenFile("AWS_WEB_IDENTITY_TOKEN_FILE"); err != nil {
			return authn.AuthConfig{}, time.Time{}, err
		}
		if err := s.checkTokenFile("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); err != nil {
			return authn.AuthConfig{}, time.Time{}, err
		}
		if cfg, err = config.LoadDefaultConfig(ctx, opts...); err != nil {
			return authn.AuthConfig{}, time.Time{}, s.fail(StepCloudCredentials, fmt.Errorf("loading AWS configuration: %w", err))
		}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepCloudCredentials, err)
	}
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepRegistryExchange, fmt.Errorf("ECR GetAuthorizationToken: %w", err))
	}
	if len(out.AuthorizationData) == 0 {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepRegistryExchange, errors.New("ECR GetAuthorizationToken returned no authorization data"))
	}
	data := out.AuthorizationData[0]
	user, password, err := decodeECRToken(aws.ToString(data.AuthorizationToken))
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepRegistryExchange, err)
	}
	expiry := time.Now().Add(12 * time.Hour) // ECR's documented lifetime
	if data.ExpiresAt != nil {
		expiry = *data.ExpiresAt
	}
	return authn.AuthConfig{Username: user, Password: password}, expiry, nil
}

// decodeECRToken splits ECR's base64("AWS:password") token. Errors never
// quote the token.
func decodeECRToken(token string) (user, password string, err error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", "", errors.New("ECR authorization token is not base64")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || password == "" {
		return "", "", errors.New("ECR authorization token is not user:password")
	}
	return user, password, nil
}
