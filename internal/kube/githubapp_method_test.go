package kube

import (
	"context"
	"testing"

	"github.com/imagepilot/imagepilot/internal/forge"
)

// TestGitCredentialsMarkGitHubApp: only credentials from a GitHub App are
// marked as an App token (what --git-commit-method api requires), with the
// App's enterprise API URL; a username and token are not.
func TestGitCredentialsMarkGitHubApp(t *testing.T) {
	srv, pemKey := githubAppFake(t)
	r := fakeReader(t,
		secret("argocd", "app", "", map[string]string{"githubAppID": "9", "githubAppInstallationID": "99",
			"githubAppPrivateKey": pemKey, "githubAppEnterpriseBaseUrl": srv.URL + "/api/v3"}),
		secret("argocd", "token", "", map[string]string{"username": "x-access-token", "password": "ghs_pat"}),
	)
	g := &GitCredentials{Reader: r, Namespace: "argocd", Apps: &forge.AppTokens{}}
	tests := []struct {
		ref     string
		app     bool
		api     string
		pass    string
		wantErr bool
	}{
		{"secret:app", true, srv.URL + "/api/v3", "ghs_from_app", false},
		{"secret:token", false, "", "ghs_pat", false},
	}
	for _, tt := range tests {
		c, err := g.GitCredentials(context.Background(), "https://ghe.example/team/app.git", tt.ref)
		if (err != nil) != tt.wantErr || c.GitHubApp != tt.app || c.GitHubAPIURL != tt.api || c.Password != tt.pass {
			t.Errorf("%s: creds app=%v api=%q, %v", tt.ref, c.GitHubApp, c.GitHubAPIURL, err)
		}
	}
}
