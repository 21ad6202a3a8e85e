package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// gitFlags are the Git settings of write-back.
type gitFlags struct {
	commitUser, commitEmail string
	messagePath             string
	signOff                 bool
	signingKey              string
	signingMethod           string
	cacheDir                string
	username                string
	passwordEnv             string
	sshKey                  string
	knownHosts              string
	insecureHostKey         bool
	caFile                  string
	lockTimeout             string
	commitMethod            string
	// messageOptional: messagePath is the default path and may be absent.
	messageOptional bool
}

// Default paths of Argo CD Image Updater's install manifests, which mount
// the argocd-image-updater-config ConfigMap's registries.conf and
// git.commit-message-template keys there. A file missing at its default
// path means "use the built-in default"; one missing at a path the user
// gave is an error.
const (
	defaultRegistriesConfPath = "/app/config/registries.conf"
	defaultCommitTemplatePath = "/app/config/commit.template"
)

func (g *gitFlags) register(f *pflag.FlagSet, env *envSource) {
	f.StringVar(&g.commitUser, "git-commit-user", env.str("imagepilot", "GIT_COMMIT_USER"), "commit author name (env GIT_COMMIT_USER, ConfigMap key git.user)")
	f.StringVar(&g.commitEmail, "git-commit-email", env.str("imagepilot@localhost", "GIT_COMMIT_EMAIL"), "commit author e-mail (env GIT_COMMIT_EMAIL, ConfigMap key git.email)")
	f.StringVar(&g.messagePath, "git-commit-message-path", env.str(defaultCommitTemplatePath, "GIT_COMMIT_MESSAGE_PATH"), "file with the commit message template (Go text/template; ConfigMap key git.commit-message-template mounted here)")
	f.BoolVar(&g.signOff, "git-commit-sign-off", env.boolean("git-commit-sign-off", "GIT_COMMIT_SIGN_OFF", false), "add a Signed-off-by trailer (env GIT_COMMIT_SIGN_OFF)")
	f.StringVar(&g.signingKey, "git-commit-signing-key", env.str("", "GIT_COMMIT_SIGNING_KEY"), "OpenPGP key id, or SSH private key path, to sign commits (env GIT_COMMIT_SIGNING_KEY)")
	f.StringVar(&g.signingMethod, "git-commit-signing-method", env.str("openpgp", "GIT_COMMIT_SIGNING_METHOD"), "openpgp or ssh (env GIT_COMMIT_SIGNING_METHOD)")
	f.StringVar(&g.cacheDir, "git-cache-dir", env.str(filepath.Join(os.TempDir(), "imagepilot-git"), "IMAGEPILOT_GIT_CACHE_DIR"), "directory for the persistent working copies")
	f.StringVar(&g.lockTimeout, "git-lock-timeout", env.str(git.DefaultLockTimeout.String(), "IMAGEPILOT_GIT_LOCK_TIMEOUT"), "how long to wait for a working copy another imagepilot process is using before failing as busy")
	f.StringVar(&g.username, "git-username", env.str("", "IMAGEPILOT_GIT_USERNAME"), "HTTPS user name for the repository")
	f.StringVar(&g.passwordEnv, "git-password-env", "IMAGEPILOT_GIT_PASSWORD", "name of the environment variable holding the HTTPS password or token")
	f.StringVar(&g.sshKey, "git-ssh-key", env.str("", "IMAGEPILOT_GIT_SSH_KEY"), "SSH private key file for ssh:// repositories")
	f.StringVar(&g.knownHosts, "git-known-hosts", env.str("", "IMAGEPILOT_GIT_KNOWN_HOSTS"), "known_hosts file for SSH host key checking")
	f.BoolVar(&g.insecureHostKey, "git-insecure-ignore-host-key", false, "do not check SSH host keys (unsafe)")
	f.StringVar(&g.commitMethod, "git-commit-method", env.str(writeback.CommitMethodGit, "GIT_COMMIT_METHOD"), "git (commit and push with the git command line) or api (GitHub API commit with GitHub App credentials, signed by GitHub; env GIT_COMMIT_METHOD)")
	f.StringVar(&g.caFile, "git-ca-file", env.str("", "IMAGEPILOT_GIT_CA_FILE"), "CA bundle (PEM) to trust for HTTPS repositories, instead of the system's")
}

// prepare notes whether the template path is upstream's default, where a
// missing file is allowed.
func (g *gitFlags) prepare(f *pflag.FlagSet, env *envSource) {
	_, fromEnv := env.value("GIT_COMMIT_MESSAGE_PATH")
	g.messageOptional = g.messagePath == defaultCommitTemplatePath && !f.Changed("git-commit-message-path") && !fromEnv
}

// envOr returns the environment variable key, or def when it is unset.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// manager builds the Git manager.
// depth is the clone depth (0 = full history).
func (g *gitFlags) manager(logger *slog.Logger, depth int) (*git.Manager, error) {
	lockTimeout, err := time.ParseDuration(g.lockTimeout)
	if err != nil || lockTimeout <= 0 {
		return nil, fmt.Errorf("--git-lock-timeout %q: want a positive duration such as 2m", g.lockTimeout)
	}
	opts := []git.Option{git.WithCacheDir(g.cacheDir), git.WithAuthor(g.commitUser, g.commitEmail), git.WithLogger(logger),
		git.WithCloneDepth(depth), git.WithLockTimeout(lockTimeout)}
	if g.signingKey != "" {
		if g.signingMethod != git.SigningOpenPGP && g.signingMethod != git.SigningSSH {
			return nil, fmt.Errorf("--git-commit-signing-method %q: want openpgp or ssh", g.signingMethod)
		}
		opts = append(opts, git.WithSigning(&git.SigningConfig{Format: g.signingMethod, KeyID: g.signingKey}))
	}
	return git.NewManager(opts...)
}

// credentials reads the repository credentials the flags point at.
func (g *gitFlags) credentials() (git.Credentials, error) {
	c := git.Credentials{Username: g.username, Password: os.Getenv(g.passwordEnv), InsecureIgnoreHostKey: g.insecureHostKey}
	var err error
	if g.sshKey != "" {
		if c.SSHPrivateKey, err = os.ReadFile(g.sshKey); err != nil {
			return c, fmt.Errorf("--git-ssh-key: %w", err)
		}
	}
	if g.knownHosts != "" {
		if c.KnownHosts, err = os.ReadFile(g.knownHosts); err != nil {
			return c, fmt.Errorf("--git-known-hosts: %w", err)
		}
	}
	if g.caFile != "" {
		if c.CAData, err = os.ReadFile(g.caFile); err != nil {
			return c, fmt.Errorf("--git-ca-file: %w", err)
		}
	}
	return c, nil
}

// writer builds the Git writer.
func (g *gitFlags) writer(mgr *git.Manager, creds writeback.CredentialResolver, logger *slog.Logger, dryRun bool) (*writeback.GitWriter, error) {
	text := ""
	if g.messagePath != "" {
		data, err := os.ReadFile(g.messagePath)
		if err != nil && g.messageOptional && errors.Is(err, fs.ErrNotExist) {
			data, err = nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("--git-commit-message-path: %w", err)
		}
		text = string(data)
	}
	tmpl, err := writeback.ParseCommitTemplate(text)
	if err != nil {
		return nil, err
	}
	if err := writeback.ValidateCommitMethod(g.commitMethod); err != nil {
		return nil, fmt.Errorf("--git-commit-method: %w", err)
	}
	if g.commitMethod == writeback.CommitMethodAPI && g.signingKey != "" {
		return nil, fmt.Errorf("--git-commit-method api with --git-commit-signing-key: GitHub signs API commits itself and cannot use the key; set one of them")
	}
	return &writeback.GitWriter{Git: mgr, Credentials: creds, CommitTemplate: tmpl, SignOff: g.signOff, DryRun: dryRun, Logger: logger,
		CommitMethod: g.commitMethod}, nil
}
