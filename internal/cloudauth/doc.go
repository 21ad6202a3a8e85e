// Package cloudauth logs in to the container registries of AWS (ECR),
// Google Cloud (Artifact Registry, GCR), Azure (ACR) and Alibaba Cloud
// (ACR personal and enterprise editions) with the workload's own cloud
// identity, through each cloud's SDK:
//
//   - aws: the AWS SDK v2 default credential chain (environment, IRSA web
//     identity token file and role, EKS Pod Identity, shared config,
//     instance metadata), then ECR GetAuthorizationToken in the region of
//     the registry host. User "AWS", the token's password, until the
//     token's expiresAt.
//   - gcp: Google's Application Default Credentials
//     (GOOGLE_APPLICATION_CREDENTIALS: service-account key or workload
//     identity federation configuration; gcloud's file; the metadata
//     server, including GKE workload identity). User "oauth2accesstoken",
//     the access token as password.
//   - azure: Entra workload identity (AZURE_FEDERATED_TOKEN_FILE,
//     AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST) when the
//     token file is set, else managed identity; the Entra token is
//     exchanged at https://REGISTRY/oauth2/exchange for an ACR refresh
//     token, used as password of user 00000000-0000-0000-0000-000000000000.
//   - alibaba: RRSA (ALIBABA_CLOUD_OIDC_TOKEN_FILE, ALIBABA_CLOUD_ROLE_ARN,
//     ALIBABA_CLOUD_OIDC_PROVIDER_ARN, through STS AssumeRoleWithOIDC),
//     else the default chain of credentials-go (AccessKey environment,
//     profiles, the instance RAM role); then the Container Registry
//     GetAuthorizationToken: API 2018-12-01 with the instance id for
//     instances, 2016-06-07 for the classic personal edition.
//
// A [Spec] is the text of a "provider:NAME[?key=value&...]" reference
// after "provider:"; [Spec.Bind] checks it against the registry host
// ([Recognize] knows each cloud's host names, so provider:auto picks the
// cloud). [New] returns a [Source] for one registry.
//
// With serviceAccount=NAMESPACE/NAME (aws, azure) the cloud identity is
// that Kubernetes service account's instead of the process's: a token of
// it is obtained through [ServiceAccountTokens] (the controller's
// TokenRequest client, audience [AudienceAWS] or [AudienceAzure]) and
// federated with the role or client id of its annotations; without a
// ServiceAccountTokens (repo mode) [New] refuses the spec.
//
// A Source fetches on every call; callers cache with the expiry
// [Source.ResolveExpiring] returns (internal/credentials.Cached does, and
// shares one exchange among concurrent callers). Errors are [*StepError]s
// naming the provider, the registry and the step that failed (token file,
// cloud credentials, registry token exchange); they never contain a token,
// and this package logs nothing.
package cloudauth
