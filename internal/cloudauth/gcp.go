package cloudauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"golang.org/x/oauth2/google"
)

// gcpScope is the OAuth scope Artifact Registry and GCR accept.
const gcpScope = "https://www.googleapis.com/auth/cloud-platform"

// gcpUser is the user name that goes with an OAuth access token.
const gcpUser = "oauth2accesstoken"

// gcpLogin takes an access token from Application Default Credentials.
func (s *Source) gcpLogin(ctx context.Context) (authn.AuthConfig, time.Time, error) {
	if err := s.checkTokenFile("GOOGLE_APPLICATION_CREDENTIALS"); err != nil {
		return authn.AuthConfig{}, time.Time{}, err
	}
	creds, err := google.FindDefaultCredentials(ctx, gcpScope)
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepCloudCredentials, fmt.Errorf("finding Google credentials: %w", err))
	}
	tok, err := creds.TokenSource.Token()
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepCloudCredentials, fmt.Errorf("getting a Google access token: %w", err))
	}
	if tok.AccessToken == "" {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepCloudCredentials, errors.New("Google returned an empty access token"))
	}
	expiry := tok.Expiry
	if expiry.IsZero() {
		expiry = time.Now().Add(time.Hour) // Google's usual token lifetime
	}
	return authn.AuthConfig{Username: gcpUser, Password: tok.AccessToken}, expiry, nil
}
