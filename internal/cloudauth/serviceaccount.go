package cloudauth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Audiences of the service account tokens each cloud's STS accepts, as
// EKS (IRSA) and Azure workload identity project them into pods.
const (
	// AudienceAWS is the audience of tokens for STS AssumeRoleWithWebIdentity.
	AudienceAWS = "sts.amazonaws.com"
	// AudienceAzure is the audience of tokens for Entra federated credentials.
	AudienceAzure = "api://AzureADTokenExchange"
)

// Service account annotations naming the cloud identity, as EKS and Azure
// workload identity define them.
const (
	// AnnotationAWSRoleARN is the IAM role a service account assumes.
	AnnotationAWSRoleARN = "eks.amazonaws.com/role-arn"
	// AnnotationAzureClientID is the Entra application or user-assigned
	// identity of a service account.
	AnnotationAzureClientID = "azure.workload.identity/client-id"
	// AnnotationAzureTenantID is its tenant (else AZURE_TENANT_ID).
	AnnotationAzureTenantID = "azure.workload.identity/tenant-id"
)

// StepServiceAccount is reading the service account or requesting its
// token from the Kubernetes API (TokenRequest).
const StepServiceAccount = "service account token"

// ServiceAccountTokens reads Kubernetes service accounts and issues their
// tokens through the TokenRequest API. Only the in-cluster controller has
// one; implementations cache tokens and are safe for concurrent use.
type ServiceAccountTokens interface {
	// Annotations returns the annotations of service account
	// namespace/name.
	Annotations(ctx context.Context, namespace, name string) (map[string]string, error)
	// Token returns a token of service account namespace/name for
	// audience.
	Token(ctx context.Context, namespace, name, audience string) (string, error)
}

// ErrNoServiceAccounts is returned by [New] for a serviceAccount= spec
// where no Kubernetes API is available (repo mode, imagepilot check
// without a cluster).
var ErrNoServiceAccounts = errors.New("serviceAccount= needs the in-cluster controller (Kubernetes TokenRequest API)")

var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)

// splitServiceAccount splits "NAMESPACE/NAME" (DNS-1123 names).
func splitServiceAccount(v string) (namespace, name string, err error) {
	namespace, name, ok := strings.Cut(v, "/")
	if !ok || !dns1123Label.MatchString(namespace) || !dns1123Subdomain.MatchString(name) {
		return "", "", fmt.Errorf("%q is not NAMESPACE/NAME of a service account", v)
	}
	return namespace, name, nil
}

var (
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
)

// serviceAccountToken reads the service account's annotations and a token
// for audience; failures are the service account step.
func (s *Source) serviceAccountToken(ctx context.Context, audience string) (map[string]string, string, error) {
	ns, name, err := splitServiceAccount(s.reg.ServiceAccount)
	if err != nil {
		return nil, "", s.fail(StepServiceAccount, err)
	}
	ann, err := s.target.ServiceAccounts.Annotations(ctx, ns, name)
	if err != nil {
		return nil, "", s.fail(StepServiceAccount, fmt.Errorf("service account %s/%s: %w", ns, name, err))
	}
	tok, err := s.target.ServiceAccounts.Token(ctx, ns, name, audience)
	if err != nil {
		return nil, "", s.fail(StepServiceAccount, fmt.Errorf("token of service account %s/%s (audience %s): %w", ns, name, audience, err))
	}
	if tok == "" {
		return nil, "", s.fail(StepServiceAccount, fmt.Errorf("the Kubernetes API returned an empty token for %s/%s", ns, name))
	}
	return ann, tok, nil
}

// awsServiceAccountConfig is the AWS configuration whose credentials come
// from STS AssumeRoleWithWebIdentity with the service account's token and
// the role of its eks.amazonaws.com/role-arn annotation.
func (s *Source) awsServiceAccountConfig(ctx context.Context, opts []func(*config.LoadOptions) error) (aws.Config, error) {
	ann, tok, err := s.serviceAccountToken(ctx, AudienceAWS)
	if err != nil {
		return aws.Config{}, err
	}
	role := ann[AnnotationAWSRoleARN]
	if !roleARNPattern.MatchString(role) {
		return aws.Config{}, s.fail(StepServiceAccount, fmt.Errorf("service account %s: annotation %s is missing or not an IAM role ARN", s.reg.ServiceAccount, AnnotationAWSRoleARN))
	}
	// Anonymous base credentials: the default chain (the controller's own
	// identity) must not be used, or leak into, a team's exchange.
	opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, s.fail(StepCloudCredentials, fmt.Errorf("loading AWS configuration: %w", err))
	}
	session := "imagepilot-" + strings.ReplaceAll(s.reg.ServiceAccount, "/", ".")
	if len(session) > 64 {
		session = session[:64]
	}
	prov := stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(cfg), role, staticToken(tok), func(o *stscreds.WebIdentityRoleOptions) {
		o.RoleSessionName = session
	})
	cfg.Credentials = aws.NewCredentialsCache(prov)
	return cfg, nil
}

// staticToken hands a token already requested to the AWS SDK.
type staticToken string

// GetIdentityToken implements stscreds.IdentityTokenRetriever.
func (t staticToken) GetIdentityToken() ([]byte, error) { return []byte(t), nil }

// azureServiceAccountCredential is an Entra client assertion credential
// whose assertion is the service account's token, for the client id of
// its azure.workload.identity/client-id annotation (or ?clientId=).
func (s *Source) azureServiceAccountCredential(ctx context.Context, opts azcore.ClientOptions, customAuthority bool) (azcore.TokenCredential, error) {
	ann, tok, err := s.serviceAccountToken(ctx, AudienceAzure)
	if err != nil {
		return nil, err
	}
	clientID := s.reg.ClientID
	if clientID == "" {
		clientID = ann[AnnotationAzureClientID]
	}
	tenant := ann[AnnotationAzureTenantID]
	if tenant == "" {
		tenant = os.Getenv("AZURE_TENANT_ID")
	}
	switch {
	case !guidPattern.MatchString(clientID):
		return nil, s.fail(StepServiceAccount, fmt.Errorf("service account %s: annotation %s is missing or not a GUID", s.reg.ServiceAccount, AnnotationAzureClientID))
	case !tenantPattern.MatchString(tenant):
		return nil, s.fail(StepServiceAccount, fmt.Errorf("service account %s: no tenant (annotation %s or AZURE_TENANT_ID)", s.reg.ServiceAccount, AnnotationAzureTenantID))
	}
	cred, err := azidentity.NewClientAssertionCredential(tenant, clientID, func(context.Context) (string, error) { return tok, nil },
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: customAuthority})
	if err != nil {
		return nil, s.fail(StepCloudCredentials, fmt.Errorf("client assertion credential: %w", err))
	}
	return cred, nil
}
