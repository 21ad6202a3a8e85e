package git

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Credentials authenticate against a remote repository. The zero value means
// anonymous access with full verification of TLS certificates and SSH host
// keys.
type Credentials struct {
	// Username is the HTTP(S) user name. Some hosts accept any non-empty
	// name together with a token in Password.
	Username string
	// Password is the HTTP(S) password or an access token.
	Password string
	// SSHPrivateKey is a PEM or OpenSSH private key (unencrypted) used for
	// ssh:// and scp-like (user@host:path) URLs.
	SSHPrivateKey []byte
	// KnownHosts holds known_hosts lines for the SSH server. Without them
	// (and without InsecureIgnoreHostKey) SSH connections fail, because
	// host keys are always checked strictly.
	KnownHosts []byte
	// InsecureIgnoreHostKey disables SSH host key checking. Use only for
	// repositories explicitly marked insecure.
	InsecureIgnoreHostKey bool
	// CAData is a PEM bundle of certificate authorities trusted for HTTPS,
	// replacing the system roots.
	CAData []byte
	// InsecureSkipTLSVerify disables HTTPS certificate verification. Use
	// only for repositories explicitly marked insecure.
	InsecureSkipTLSVerify bool
	// ClientCertData is a PEM client certificate for HTTPS mutual TLS.
	ClientCertData []byte
	// ClientKeyData is the PEM private key matching ClientCertData.
	ClientKeyData []byte
	// GitHubApp reports that Password is a GitHub App installation token
	// (the GitHub API commit method needs one); GitHubAPIURL is then the
	// App's GitHub Enterprise API base URL, "" to derive it from the
	// repository URL.
	GitHubApp    bool
	GitHubAPIURL string
}

// secrets lists the values that must never appear in errors or logs.
func (c Credentials) secrets() []string {
	var out []string
	if c.Password != "" {
		out = append(out, c.Password)
	}
	for _, block := range [][]byte{c.SSHPrivateKey, c.ClientKeyData} {
		for _, line := range strings.Split(string(block), "\n") {
			line = strings.TrimSpace(line)
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				out = append(out, line)
			}
		}
	}
	return out
}

// Environment variables through which the askpass helper receives the
// HTTPS credentials. They are set on the git child process only (never in
// its arguments, never in a file) and inherited by git's own helpers.
const (
	askpassUserEnv = "IMAGEPILOT_ASKPASS_USERNAME"
	askpassPassEnv = "IMAGEPILOT_ASKPASS_PASSWORD"
)

// askpassScript answers git's prompts from the environment. It holds no
// secret, so a process killed with -9 leaves nothing sensitive in it.
const askpassScript = "#!/bin/sh\ncase \"$1\" in\n[Uu]sername*) printf '%s' \"$" + askpassUserEnv +
	"\" ;;\n*) printf '%s' \"$" + askpassPassEnv + "\" ;;\nesac\n"

// sessionPrefix names the session directories under os.TempDir();
// sessionLockName is the file each live session holds a flock on, so that a
// sweep can tell a live session from one whose process died.
const (
	sessionPrefix   = "imagepilot-git-"
	sessionLockName = ".imagepilot-session.lock"
)

// session is the private, short-lived directory holding the material of one
// git command (askpass helper, SSH key and known_hosts, TLS files) and the
// environment that points git at it. Passwords stay in secretEnv, never in
// the directory.
type session struct {
	dir       string
	lock      *os.File
	env       []string
	secretEnv []string
}

// newSession materialises creds into a fresh 0700 directory. Close removes it.
func newSession(creds Credentials) (*session, error) {
	dir, lock, err := lockedSessionDir()
	if err != nil {
		return nil, err
	}
	s := &session{dir: dir, lock: lock}
	if err := s.materialise(creds); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// lockedSessionDir creates a session directory and holds the flock of its
// lock file. It retries when a concurrent sweep removed the directory between
// its creation and the flock.
func lockedSessionDir() (string, *os.File, error) {
	for range 5 {
		dir, err := os.MkdirTemp("", sessionPrefix)
		if err != nil {
			return "", nil, fmt.Errorf("create credential directory: %w", err)
		}
		path := filepath.Join(dir, sessionLockName)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			_ = os.RemoveAll(dir)
			continue // swept between MkdirTemp and OpenFile
		}
		if err := flockWait(f); err != nil {
			_ = f.Close()
			_ = os.RemoveAll(dir)
			return "", nil, fmt.Errorf("lock credential directory: %w", err)
		}
		if sameFile(f, path) {
			return dir, f, nil
		}
		_ = f.Close() // a sweep removed it before we held the lock
	}
	return "", nil, fmt.Errorf("create credential directory: removed repeatedly while being created")
}

// Close removes the session directory and everything in it, the lock file
// last: a process killed half-way leaves either a locked-looking directory
// whose lock is free or an empty one, both of which a sweep removes.
func (s *session) Close() error {
	if s == nil || s.dir == "" {
		return nil
	}
	entries, err := os.ReadDir(s.dir)
	for _, e := range entries {
		if e.Name() != sessionLockName {
			err = errors.Join(err, os.RemoveAll(filepath.Join(s.dir, e.Name())))
		}
	}
	err = errors.Join(err, os.RemoveAll(s.dir))
	if s.lock != nil {
		_ = s.lock.Close()
		s.lock = nil
	}
	if err != nil {
		return fmt.Errorf("remove credential directory: %w", err)
	}
	return nil
}

func (s *session) materialise(c Credentials) error {
	if err := s.setupAskpass(c); err != nil {
		return err
	}
	if err := s.setupSSH(c); err != nil {
		return err
	}
	return s.setupTLS(c)
}

// setupAskpass installs the GIT_ASKPASS helper, which prints the user name
// or the password from the git process's environment depending on git's
// prompt.
func (s *session) setupAskpass(c Credentials) error {
	if c.Username == "" && c.Password == "" {
		return nil
	}
	path := filepath.Join(s.dir, "askpass")
	if err := os.WriteFile(path, []byte(askpassScript), 0o700); err != nil {
		return fmt.Errorf("write askpass helper: %w", err)
	}
	s.env = append(s.env, "GIT_ASKPASS="+path)
	s.secretEnv = append(s.secretEnv, askpassUserEnv+"="+c.Username, askpassPassEnv+"="+c.Password)
	return nil
}

// setupSSH builds GIT_SSH_COMMAND: our key only, strict host key checking
// against the given known_hosts, no user ssh configuration, no prompts.
func (s *session) setupSSH(c Credentials) error {
	args := []string{"ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"}
	if len(c.SSHPrivateKey) > 0 {
		key := c.SSHPrivateKey
		if key[len(key)-1] != '\n' {
			key = append(append([]byte{}, key...), '\n')
		}
		path, err := s.writeFile("id_key", key)
		if err != nil {
			return err
		}
		args = append(args, "-i", shellQuote(path))
	}
	if c.InsecureIgnoreHostKey {
		args = append(args, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null")
	} else {
		path, err := s.writeFile("known_hosts", c.KnownHosts)
		if err != nil {
			return err
		}
		args = append(args, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+shellQuote(path))
	}
	s.env = append(s.env, "GIT_SSH_COMMAND="+strings.Join(args, " "), "GIT_SSH_VARIANT=ssh")
	return nil
}

// setupTLS points git's HTTP transport at our CA bundle and client
// certificate; verification stays on unless explicitly disabled.
func (s *session) setupTLS(c Credentials) error {
	if len(c.CAData) > 0 {
		path, err := s.writeFile("ca.pem", c.CAData)
		if err != nil {
			return err
		}
		s.env = append(s.env, "GIT_SSL_CAINFO="+path)
	}
	if len(c.ClientCertData) > 0 {
		cert, err := s.writeFile("client.pem", c.ClientCertData)
		if err != nil {
			return err
		}
		key, err := s.writeFile("client-key.pem", c.ClientKeyData)
		if err != nil {
			return err
		}
		s.env = append(s.env, "GIT_SSL_CERT="+cert, "GIT_SSL_KEY="+key)
	}
	if c.InsecureSkipTLSVerify {
		s.env = append(s.env, "GIT_SSL_NO_VERIFY=true")
	}
	return nil
}

func (s *session) writeFile(name string, data []byte) (string, error) {
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return path, nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
