package git

import (
	"errors"
	"fmt"
	"strings"
)

// Signature is a commit author or committer.
type Signature struct {
	Name  string
	Email string
}

// Signing formats.
const (
	SigningOpenPGP = "openpgp"
	SigningSSH     = "ssh"
)

// SigningConfig signs commits. It is applied per command with -c, never
// written to any configuration file.
type SigningConfig struct {
	// Format is SigningOpenPGP or SigningSSH.
	Format string
	// KeyID is the OpenPGP key id (optional: gpg's default key otherwise)
	// or, for SSH, the path of the private key file.
	KeyID string
	// SSHPrivateKey is SSH private key material; when set it is written to a
	// 0600 temporary file for the commit and KeyID is ignored.
	SSHPrivateKey []byte
	// GPGHome is the GNUPGHOME holding the OpenPGP key (optional).
	GPGHome string
	// Program overrides gpg.program or gpg.ssh.program (optional).
	Program string
}

func (s *SigningConfig) validate() error {
	switch s.Format {
	case SigningOpenPGP:
		if len(s.SSHPrivateKey) > 0 {
			return errors.New("signing: SSH key given for OpenPGP signing")
		}
	case SigningSSH:
		if s.KeyID == "" && len(s.SSHPrivateKey) == 0 {
			return errors.New("signing: SSH signing needs a key file or key material")
		}
	default:
		return fmt.Errorf("signing: unknown format %q (want %q or %q)", s.Format, SigningOpenPGP, SigningSSH)
	}
	if strings.HasPrefix(s.KeyID, "-") || strings.ContainsAny(s.KeyID, "\x00\n") {
		return fmt.Errorf("%w: signing key %q", ErrInvalidArgument, s.KeyID)
	}
	return nil
}

// signingArgs returns the -c options placed before "commit", the commit
// options, and environment additions. sess receives SSH key material.
func (s *SigningConfig) signingArgs(sess *session) (cfg, commit, env []string, err error) {
	if s == nil {
		return []string{"-c", "commit.gpgSign=false"}, nil, nil, nil
	}
	if err := s.validate(); err != nil {
		return nil, nil, nil, err
	}
	key := s.KeyID
	if len(s.SSHPrivateKey) > 0 {
		data := s.SSHPrivateKey
		if data[len(data)-1] != '\n' {
			data = append(append([]byte{}, data...), '\n')
		}
		if key, err = sess.writeFile("signing_key", data); err != nil {
			return nil, nil, nil, err
		}
	}
	cfg = []string{"-c", "gpg.format=" + s.Format}
	if key != "" {
		cfg = append(cfg, "-c", "user.signingkey="+key)
	}
	if s.Program != "" {
		prog := "gpg.program"
		if s.Format == SigningSSH {
			prog = "gpg.ssh.program"
		}
		cfg = append(cfg, "-c", prog+"="+s.Program)
	}
	if s.GPGHome != "" {
		env = append(env, "GNUPGHOME="+s.GPGHome)
	}
	return cfg, []string{"--gpg-sign"}, env, nil
}
