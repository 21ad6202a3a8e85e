package cloudauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/go-containerregistry/pkg/authn"
)

// acrUser is the user name that goes with an ACR refresh token.
const acrUser = "00000000-0000-0000-0000-000000000000"

// maxExchangeBody caps what is read of an exchange response.
const maxExchangeBody = 1 << 20

// azureLogin gets an Entra token (workload identity, else managed
// identity) and exchanges it at the registry for a refresh token.
func (s *Source) azureLogin(ctx context.Context) (authn.AuthConfig, time.Time, error) {
	cred, err := s.azureCredential(ctx)
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, err
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{azureScope(s.reg.Host)}})
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepCloudCredentials, fmt.Errorf("getting an Entra token: %w", err))
	}
	tenant := s.reg.Tenant
	if tenant == "" {
		tenant = jwtClaim(tok.Token, "tid")
	}
	if tenant == "" {
		tenant = os.Getenv("AZURE_TENANT_ID")
	}
	refresh, err := s.acrExchange(ctx, tenant, tok.Token)
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepRegistryExchange, err)
	}
	expiry, ok := jwtExpiry(refresh)
	if !ok {
		expiry = tok.ExpiresOn
	}
	return authn.AuthConfig{Username: acrUser, Password: refresh}, expiry, nil
}

// azureCredential picks the service account's token when serviceAccount=
// is given, else workload identity when its token file is set, else
// managed identity (user-assigned when clientId is given). Errors are
// [*StepError]s.
func (s *Source) azureCredential(ctx context.Context) (azcore.TokenCredential, error) {
	opts := azcore.ClientOptions{}
	authority := os.Getenv("AZURE_AUTHORITY_HOST")
	switch {
	case authority != "":
		opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: authority}
	case strings.HasSuffix(s.reg.Host, ".azurecr.cn"):
		opts.Cloud = cloud.AzureChina
	case strings.HasSuffix(s.reg.Host, ".azurecr.us"):
		opts.Cloud = cloud.AzureGovernment
	}
	if s.reg.ServiceAccount != "" {
		return s.azureServiceAccountCredential(ctx, opts, authority != "")
	}
	if err := s.checkTokenFile("AZURE_FEDERATED_TOKEN_FILE"); err != nil {
		return nil, err
	}
	if os.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "" {
		wopts := &azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts,
			ClientID:      s.reg.ClientID,
			// A custom authority (AZURE_AUTHORITY_HOST) is not in Entra's
			// instance metadata; trust it as configured.
			DisableInstanceDiscovery: authority != "",
		}
		cred, err := azidentity.NewWorkloadIdentityCredential(wopts)
		if err != nil {
			return nil, s.fail(StepCloudCredentials, fmt.Errorf("workload identity: %w", err))
		}
		return cred, nil
	}
	mopts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
	if s.reg.ClientID != "" {
		mopts.ID = azidentity.ClientID(s.reg.ClientID)
	}
	cred, err := azidentity.NewManagedIdentityCredential(mopts)
	if err != nil {
		return nil, s.fail(StepCloudCredentials, fmt.Errorf("managed identity: %w", err))
	}
	return cred, nil
}

// acrExchange trades an Entra access token for an ACR refresh token at
// POST APIURL/oauth2/exchange (grant_type=access_token), as the ACR
// authentication documentation describes.
func (s *Source) acrExchange(ctx context.Context, tenant, accessToken string) (string, error) {
	form := url.Values{
		"grant_type":   {"access_token"},
		"service":      {s.reg.Host},
		"access_token": {accessToken},
	}
	if tenant != "" {
		form.Set("tenant", tenant)
	}
	endpoint := strings.TrimRight(s.target.APIURL, "/") + "/oauth2/exchange"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("ACR exchange request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return "", fmt.Errorf("ACR exchange: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxExchangeBody))
	if err != nil {
		return "", fmt.Errorf("ACR exchange: reading response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ACR exchange at %s: HTTP %d%s", endpoint, resp.StatusCode, registryErrorText(body))
	}
	var out struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", errors.New("ACR exchange: response is not JSON")
	}
	if out.RefreshToken == "" {
		return "", errors.New("ACR exchange: response has no refresh_token")
	}
	return out.RefreshToken, nil
}

// registryErrorText quotes the messages of a registry error body
// ({"errors":[{"code","message"}]} or {"error","error_description"}),
// capped, never the body itself (it could echo a token).
func registryErrorText(body []byte) string {
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	var parts []string
	for _, x := range e.Errors {
		parts = append(parts, strings.TrimSpace(x.Code+" "+x.Message))
	}
	if e.Error != "" {
		parts = append(parts, strings.TrimSpace(e.Error+" "+e.ErrorDescription))
	}
	text := strings.Join(parts, "; ")
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	if text == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", text)
}
