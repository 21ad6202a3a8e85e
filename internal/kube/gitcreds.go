package kube

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/internal/forge"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// Argo CD's names for repository secrets and configuration.
const (
	SecretTypeLabel       = "argocd.argoproj.io/secret-type"
	SecretTypeRepository  = "repository"
	SecretTypeRepoCreds   = "repo-creds"
	TLSCertsConfigMap     = "argocd-tls-certs-cm"
	KnownHostsConfigMap   = "argocd-ssh-known-hosts-cm"
	KnownHostsKey         = "ssh_known_hosts"
	refRepoCreds          = "repocreds"
	refSecretPrefix       = "secret:"
	fieldURL              = "url"
	fieldUsername         = "username"
	fieldPassword         = "password"
	fieldSSHPrivateKey    = "sshPrivateKey"
	fieldInsecure         = "insecure"
	fieldTLSClientCert    = "tlsClientCertData"
	fieldTLSClientCertKey = "tlsClientCertKey"
)

// GitCredentials resolves Git credentials from Argo CD's repository
// secrets, or from a named secret.
type GitCredentials struct {
	// Reader reads Secrets and ConfigMaps (preferably uncached).
	Reader client.Reader
	// Namespace is Argo CD's namespace: where repository secrets and
	// ConfigMaps live, and the default namespace of "secret:name".
	Namespace string
	// Apps exchanges GitHub App credentials (githubAppID,
	// githubAppInstallationID, githubAppPrivateKey,
	// githubAppEnterpriseBaseUrl) for installation tokens and keeps them
	// until they expire; nil exchanges on every call.
	Apps *forge.AppTokens
}

var _ writeback.CredentialResolver = (*GitCredentials)(nil)

// GitCredentials returns credentials for repoURL. ref is "" or "repocreds"
// (Argo CD's repository secrets: an exact URL match of a repository secret,
// else the credential template with the longest matching URL prefix, else
// anonymous) or "secret:[namespace/]name".
func (g *GitCredentials) GitCredentials(ctx context.Context, repoURL, ref string) (git.Credentials, error) {
	var data map[string][]byte
	var err error
	switch {
	case ref == "" || ref == refRepoCreds:
		data, err = g.repoSecret(ctx, repoURL)
	case strings.HasPrefix(ref, refSecretPrefix):
		data, err = g.namedSecret(ctx, strings.TrimPrefix(ref, refSecretPrefix))
	default:
		return git.Credentials{}, fmt.Errorf("git credentials %q: want repocreds or secret:[namespace/]name", ref)
	}
	if err != nil {
		return git.Credentials{}, err
	}
	creds := credentialsFrom(data)
	if err := g.addTrust(ctx, repoURL, &creds); err != nil {
		return git.Credentials{}, err
	}
	app, ok, err := forge.ParseGitHubApp(data)
	if err != nil {
		return git.Credentials{}, fmt.Errorf("git credentials for %s: %w", git.RedactURL(repoURL), err)
	}
	if ok {
		// The installation token authenticates git over HTTPS (user
		// x-access-token, as GitHub documents) and the pull request API.
		apps := g.Apps
		if apps == nil {
			apps = &forge.AppTokens{}
		}
		tok, err := apps.Token(ctx, app, repoURL)
		if err != nil {
			return git.Credentials{}, fmt.Errorf("git credentials for %s: %w", git.RedactURL(repoURL), err)
		}
		creds.Username, creds.Password = "x-access-token", tok
		creds.GitHubApp, creds.GitHubAPIURL = true, app.EnterpriseBaseURL
	}
	return creds, nil
}

func (g *GitCredentials) namedSecret(ctx context.Context, nsName string) (map[string][]byte, error) {
	ns, name, ok := strings.Cut(nsName, "/")
	if !ok {
		ns, name = g.Namespace, nsName
	}
	if name == "" || ns == "" {
		return nil, fmt.Errorf("git credentials secret %q: want [namespace/]name", nsName)
	}
	data, err := SecretGetter{Reader: g.Reader}.GetSecret(ctx, ns, name)
	if err != nil {
		return nil, fmt.Errorf("git credentials: %w", err)
	}
	return data, nil
}

// repoSecret finds the repository secret for repoURL, or the longest
// matching credential template (see templateKey); nil when neither exists.
func (g *GitCredentials) repoSecret(ctx context.Context, repoURL string) (map[string][]byte, error) {
	repos, err := g.secretsOfType(ctx, SecretTypeRepository)
	if err != nil {
		return nil, err
	}
	want := normalizeRepoURL(repoURL)
	for _, s := range repos {
		if normalizeRepoURL(string(s.Data[fieldURL])) == want {
			return s.Data, nil
		}
	}
	templates, err := g.secretsOfType(ctx, SecretTypeRepoCreds)
	if err != nil {
		return nil, err
	}
	var best map[string][]byte
	bestLen := -1
	key := templateKey(repoURL)
	for _, s := range templates {
		prefix := templateKey(string(s.Data[fieldURL]))
		if prefix != "" && strings.HasPrefix(key, prefix) && len(prefix) > bestLen {
			best, bestLen = s.Data, len(prefix)
		}
	}
	return best, nil
}

func (g *GitCredentials) secretsOfType(ctx context.Context, kind string) ([]corev1.Secret, error) {
	var list corev1.SecretList
	if err := g.Reader.List(ctx, &list, client.InNamespace(g.Namespace), client.MatchingLabels{SecretTypeLabel: kind}); err != nil {
		return nil, fmt.Errorf("listing %s secrets in %s: %w", kind, g.Namespace, err)
	}
	return list.Items, nil
}

// normalizeRepoURL compares repository URLs like Argo CD does, ignoring
// case, a trailing slash and a .git suffix.
func normalizeRepoURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	return strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
}

// templateKey is a URL as Argo CD compares it with credential template
// prefixes: case and a .git suffix ignored, a trailing slash kept (so
// https://host/team/ is no prefix of https://host/teamster).
func templateKey(u string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(u)), ".git")
}

func credentialsFrom(data map[string][]byte) git.Credentials {
	insecure := strings.EqualFold(strings.TrimSpace(string(data[fieldInsecure])), "true")
	return git.Credentials{
		Username:              string(data[fieldUsername]),
		Password:              string(data[fieldPassword]),
		SSHPrivateKey:         data[fieldSSHPrivateKey],
		ClientCertData:        data[fieldTLSClientCert],
		ClientKeyData:         data[fieldTLSClientCertKey],
		InsecureSkipTLSVerify: insecure,
		InsecureIgnoreHostKey: insecure,
	}
}

// addTrust adds the CA bundle for an HTTPS repository's host and the SSH
// known hosts from Argo CD's ConfigMaps (absent ConfigMaps are fine).
func (g *GitCredentials) addTrust(ctx context.Context, repoURL string, c *git.Credentials) error {
	host, isSSH := repoHost(repoURL)
	if host == "" {
		return nil
	}
	if isSSH {
		cm, err := g.configMap(ctx, KnownHostsConfigMap)
		if err != nil || cm == nil {
			return err
		}
		c.KnownHosts = []byte(cm.Data[KnownHostsKey])
		return nil
	}
	cm, err := g.configMap(ctx, TLSCertsConfigMap)
	if err != nil || cm == nil {
		return err
	}
	if pem, ok := cm.Data[host]; ok {
		c.CAData = []byte(pem)
	}
	return nil
}

func (g *GitCredentials) configMap(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	var cm corev1.ConfigMap
	err := g.Reader.Get(ctx, types.NamespacedName{Namespace: g.Namespace, Name: name}, &cm)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading configmap %s/%s: %w", g.Namespace, name, err)
	}
	return &cm, nil
}

// repoHost returns the host of a repository URL (without port for HTTPS,
// as Argo CD keys CAs by server name) and whether it is reached over SSH.
func repoHost(repoURL string) (string, bool) {
	if strings.Contains(repoURL, "://") {
		u, err := url.Parse(repoURL)
		if err != nil {
			return "", false
		}
		return strings.ToLower(u.Hostname()), u.Scheme == "ssh"
	}
	// scp-like user@host:path
	userHost, _, ok := strings.Cut(repoURL, ":")
	at := strings.LastIndex(userHost, "@")
	if !ok || at < 0 || strings.Contains(userHost, "/") {
		return "", false
	}
	host := strings.ToLower(userHost[at+1:])
	return host, host != ""
}
