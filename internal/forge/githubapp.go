package forge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

// GitHubApp holds GitHub App credentials as Argo CD's repository secrets
// carry them (githubAppID, githubAppInstallationID, githubAppPrivateKey,
// githubAppEnterpriseBaseUrl).
type GitHubApp struct {
	// AppID and InstallationID identify the App and its installation.
	AppID, InstallationID int64
	// PrivateKey is the App's PEM private key.
	PrivateKey []byte
	// EnterpriseBaseURL is the GitHub Enterprise API base URL
	// (https://HOST/api/v3); empty derives it from the repository URL.
	EnterpriseBaseURL string
}

// ParseGitHubApp reads GitHub App credentials from repository secret
// fields; ok is false when the secret has no githubAppID. A present but
// malformed field is an error naming it.
func ParseGitHubApp(data map[string][]byte) (app GitHubApp, ok bool, err error) {
	id := strings.TrimSpace(string(data["githubAppID"]))
	if id == "" {
		return GitHubApp{}, false, nil
	}
	if app.AppID, err = strconv.ParseInt(id, 10, 64); err != nil || app.AppID <= 0 {
		return GitHubApp{}, true, fmt.Errorf("%w: githubAppID %q is not a positive number", ErrConfig, id)
	}
	inst := strings.TrimSpace(string(data["githubAppInstallationID"]))
	if app.InstallationID, err = strconv.ParseInt(inst, 10, 64); err != nil || app.InstallationID <= 0 {
		return GitHubApp{}, true, fmt.Errorf("%w: githubAppInstallationID %q is not a positive number", ErrConfig, inst)
	}
	app.PrivateKey = data["githubAppPrivateKey"]
	if len(strings.TrimSpace(string(app.PrivateKey))) == 0 {
		return GitHubApp{}, true, fmt.Errorf("%w: githubAppPrivateKey is empty", ErrConfig)
	}
	app.EnterpriseBaseURL = strings.TrimSpace(string(data["githubAppEnterpriseBaseUrl"]))
	return app, true, nil
}

// AppTokens exchanges GitHub App credentials for installation tokens with
// ghinstallation, keeping one transport per App, installation, key and API
// so a token is reused until shortly before it expires. The zero value is
// ready to use.
type AppTokens struct {
	// HTTPClient sends the exchange requests; nil uses one with
	// DefaultTimeout and the system's TLS roots.
	HTTPClient *http.Client

	mu    sync.Mutex
	cache map[string]*ghinstallation.Transport
}

// Token returns an installation token of app for the repository at
// repoURL (whose host names the API when app has no enterprise URL).
func (a *AppTokens) Token(ctx context.Context, app GitHubApp, repoURL string) (string, error) {
	base := app.EnterpriseBaseURL
	if base == "" {
		var err error
		if base, err = APIBaseURL(GitHub, repoURL, ""); err != nil {
			return "", err
		}
	} else if _, err := APIBaseURL(GitHub, repoURL, base); err != nil {
		return "", err
	}
	base = strings.TrimSuffix(base, "/")
	sum := sha256.Sum256(app.PrivateKey)
	key := fmt.Sprintf("%d/%d/%s/%s", app.AppID, app.InstallationID, hex.EncodeToString(sum[:8]), base)
	a.mu.Lock()
	tr, ok := a.cache[key]
	if !ok {
		hc := a.HTTPClient
		if hc == nil {
			hc = &http.Client{Timeout: DefaultTimeout}
		}
		rt := hc.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		var err error
		tr, err = ghinstallation.New(rt, app.AppID, app.InstallationID, app.PrivateKey)
		if err != nil {
			a.mu.Unlock()
			// The error may quote the key material: never pass it on.
			return "", fmt.Errorf("%w: githubAppPrivateKey is not a PEM RSA private key", ErrConfig)
		}
		tr.BaseURL = base
		if a.cache == nil {
			a.cache = map[string]*ghinstallation.Transport{}
		}
		a.cache[key] = tr
	}
	a.mu.Unlock()
	timeout := DefaultTimeout
	if a.HTTPClient != nil && a.HTTPClient.Timeout > 0 {
		timeout = a.HTTPClient.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tok, err := tr.Token(ctx)
	if err != nil {
		status := 0
		var he *ghinstallation.HTTPError
		if errors.As(err, &he) && he.Response != nil {
			status = he.Response.StatusCode
		}
		return "", apiError(GitHub, fmt.Sprintf("GitHub App %d installation %d token", app.AppID, app.InstallationID), status, err, string(app.PrivateKey))
	}
	return tok, nil
}
