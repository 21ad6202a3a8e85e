package git

import (
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

// session is the private, short-lived directory holding the credential
// material of one git command and the environment that points git at it.
type session struct {
	dir string
	env []string
}

// newSession materialises creds into a fresh 0700 directory. Close removes it.
func newSession(creds Credentials) (*session, error) {
	dir, err := os.MkdirTemp("", "imagepilot-git-")
	if err != nil {
		return nil, fmt.Errorf("create credential directory: %w", err)
	}
	s := &session{dir: dir}
	if err := s.materialise(creds); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Close removes the session directory and everything in it.
func (s *session) Close() error {
	if s == nil || s.dir == "" {
		return nil
	}
	if err := os.RemoveAll(s.dir); err != nil {
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

// setupAskpass writes a GIT_ASKPASS script that prints the user name or the
// password from 0600 files, depending on git's prompt.
func (s *session) setupAskpass(c Credentials) error {
	if c.Username == "" && c.Password == "" {
		return nil
	}
	user, err := s.writeFile("username", []byte(c.Username))
	if err != nil {
		return err
	}
	pass, err := s.writeFile("password", []byte(c.Password))
	if err != nil {
		return err
	}
	script := "#!/bin/sh\ncase \"$1\" in\n[Uu]sername*) cat " + shellQuote(user) +
		" ;;\n*) cat " + shellQuote(pass) + " ;;\nesac\n"
	path := filepath.Join(s.dir, "askpass")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		return fmt.Errorf("write askpass helper: %w", err)
	}
	s.env = append(s.env, "GIT_ASKPASS="+path)
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
