package git

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// envValue returns the value of name in env, and whether it is there.
func envValue(env []string, name string) (string, bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

func TestSessionEnvironment(t *testing.T) {
	key := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----") // no final newline
	tests := []struct {
		name        string
		creds       Credentials
		wantAskpass bool
		wantSSH     []string // substrings of GIT_SSH_COMMAND
		notSSH      []string
		wantEnv     []string // names that must be set
		notEnv      []string // names that must not be set
		wantFiles   []string
	}{
		{name: "anonymous: strict host keys against an empty known_hosts",
			wantSSH: []string{"ssh -F /dev/null", "BatchMode=yes", "IdentitiesOnly=yes", "StrictHostKeyChecking=yes", "UserKnownHostsFile='"},
			notSSH:  []string{" -i ", "StrictHostKeyChecking=no"},
			notEnv:  []string{"GIT_ASKPASS", "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY", "GIT_SSL_CERT"}, wantFiles: []string{"known_hosts"}},
		{name: "HTTPS user and token go to askpass", creds: Credentials{Username: "bob", Password: "tok"}, wantAskpass: true,
			wantEnv: []string{"GIT_ASKPASS"}, wantFiles: []string{"askpass"}},
		{name: "a token without a user name still uses askpass", creds: Credentials{Password: "tok"}, wantAskpass: true,
			wantEnv: []string{"GIT_ASKPASS"}},
		{name: "SSH key file, quoted", creds: Credentials{SSHPrivateKey: key, KnownHosts: []byte("host ssh-ed25519 AAAA\n")},
			wantSSH: []string{" -i '", "id_key'", "StrictHostKeyChecking=yes"}, wantFiles: []string{"id_key", "known_hosts"}},
		{name: "insecure host key checking only when asked", creds: Credentials{InsecureIgnoreHostKey: true},
			wantSSH: []string{"StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"}, notSSH: []string{"StrictHostKeyChecking=yes"}},
		{name: "CA bundle", creds: Credentials{CAData: []byte("pem")}, wantEnv: []string{"GIT_SSL_CAINFO"}, notEnv: []string{"GIT_SSL_NO_VERIFY"},
			wantFiles: []string{"ca.pem"}},
		{name: "client certificate", creds: Credentials{ClientCertData: []byte("cert"), ClientKeyData: []byte("key")},
			wantEnv: []string{"GIT_SSL_CERT", "GIT_SSL_KEY"}, wantFiles: []string{"client.pem", "client-key.pem"}},
		{name: "TLS verification off only when asked", creds: Credentials{InsecureSkipTLSVerify: true}, wantEnv: []string{"GIT_SSL_NO_VERIFY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newSession(tt.creds)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if v, _ := envValue(s.env, "GIT_SSH_VARIANT"); v != "ssh" {
				t.Errorf("GIT_SSH_VARIANT = %q", v)
			}
			ssh, _ := envValue(s.env, "GIT_SSH_COMMAND")
			for _, want := range tt.wantSSH {
				if !strings.Contains(ssh, want) {
					t.Errorf("GIT_SSH_COMMAND %q lacks %q", ssh, want)
				}
			}
			for _, not := range tt.notSSH {
				if strings.Contains(ssh, not) {
					t.Errorf("GIT_SSH_COMMAND %q has %q", ssh, not)
				}
			}
			for _, name := range tt.wantEnv {
				v, ok := envValue(s.env, name)
				if !ok {
					t.Errorf("%s not set", name)
				} else if strings.HasPrefix(v, "/") && !strings.HasPrefix(v, s.dir) {
					t.Errorf("%s = %s, outside the session directory", name, v)
				}
			}
			for _, name := range tt.notEnv {
				if _, ok := envValue(s.env, name); ok {
					t.Errorf("%s set", name)
				}
			}
			user, hasUser := envValue(s.secretEnv, askpassUserEnv)
			pass, hasPass := envValue(s.secretEnv, askpassPassEnv)
			if hasUser != tt.wantAskpass || hasPass != tt.wantAskpass || user != tt.creds.Username || pass != tt.creds.Password {
				t.Errorf("secret env %q, want askpass credentials %v", s.secretEnv, tt.wantAskpass)
			}
			for _, kv := range s.env {
				if tt.creds.Password != "" && strings.Contains(kv, tt.creds.Password) {
					t.Errorf("visible env %q carries the password", kv)
				}
			}
			for _, f := range tt.wantFiles {
				if _, err := os.Stat(filepath.Join(s.dir, f)); err != nil {
					t.Errorf("file %s: %v", f, err)
				}
			}
			if len(tt.creds.SSHPrivateKey) > 0 {
				data, _ := os.ReadFile(filepath.Join(s.dir, "id_key"))
				if !strings.HasSuffix(string(data), "KEY-----\n") {
					t.Errorf("key file %q lacks the final newline ssh needs", data)
				}
			}
		})
	}
}

func TestCredentialSecrets(t *testing.T) {
	tests := []struct {
		name  string
		creds Credentials
		want  []string
	}{
		{"nothing", Credentials{}, nil},
		{"user name is not secret", Credentials{Username: "bob"}, nil},
		{"password", Credentials{Username: "bob", Password: "pw"}, []string{"pw"}},
		{"key body lines, not the armour or short lines", Credentials{SSHPrivateKey: []byte("-----BEGIN KEY-----\nAAAAbbbbCCCCdddd1234\nshort\n  EEEEffffGGGGhhhh  \n-----END KEY-----\n")},
			[]string{"AAAAbbbbCCCCdddd1234", "EEEEffffGGGGhhhh"}},
		{"client key too", Credentials{ClientKeyData: []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkgoPvuLX8f\n-----END EC PRIVATE KEY-----")},
			[]string{"MHcCAQEEIBkgoPvuLX8f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.creds.secrets(); !slices.Equal(got, tt.want) {
				t.Errorf("secrets() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"/tmp/a":              "'/tmp/a'",
		"/tmp/with space":     "'/tmp/with space'",
		"/tmp/it's":           `'/tmp/it'\''s'`,
		"/tmp/$(rm -rf ~)`x`": "'/tmp/$(rm -rf ~)`x`'",
	}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSigningArgs(t *testing.T) {
	tests := []struct {
		name       string
		cfg        *SigningConfig
		wantCfg    []string
		wantCommit []string
		wantEnv    []string
		wantErr    bool
	}{
		{name: "no signing turns it off explicitly", wantCfg: []string{"-c", "commit.gpgSign=false"}},
		{name: "OpenPGP default key", cfg: &SigningConfig{Format: SigningOpenPGP},
			wantCfg: []string{"-c", "gpg.format=openpgp"}, wantCommit: []string{"--gpg-sign"}},
		{name: "OpenPGP key, program and home", cfg: &SigningConfig{Format: SigningOpenPGP, KeyID: "ABCD1234", Program: "/usr/bin/gpg2", GPGHome: "/keys"},
			wantCfg:    []string{"-c", "gpg.format=openpgp", "-c", "user.signingkey=ABCD1234", "-c", "gpg.program=/usr/bin/gpg2"},
			wantCommit: []string{"--gpg-sign"}, wantEnv: []string{"GNUPGHOME=/keys"}},
		{name: "SSH key file and program", cfg: &SigningConfig{Format: SigningSSH, KeyID: "/keys/id_ed25519", Program: "/usr/bin/ssh-keygen"},
			wantCfg:    []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=/keys/id_ed25519", "-c", "gpg.ssh.program=/usr/bin/ssh-keygen"},
			wantCommit: []string{"--gpg-sign"}},
		{name: "OpenPGP with SSH key material", cfg: &SigningConfig{Format: SigningOpenPGP, SSHPrivateKey: []byte("k")}, wantErr: true},
		{name: "SSH without a key", cfg: &SigningConfig{Format: SigningSSH}, wantErr: true},
		{name: "unknown format", cfg: &SigningConfig{Format: "x509"}, wantErr: true},
		{name: "key id that looks like an option", cfg: &SigningConfig{Format: SigningOpenPGP, KeyID: "--output=/tmp/x"}, wantErr: true},
		{name: "key id with a newline", cfg: &SigningConfig{Format: SigningSSH, KeyID: "/k\n-c core.x=y"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newSession(Credentials{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			cfg, commit, env, err := tt.cfg.signingArgs(s)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("signingArgs accepted %+v", tt.cfg)
				}
				if opt := WithSigning(tt.cfg); opt(&options{}) == nil {
					t.Errorf("WithSigning accepted %+v", tt.cfg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg, tt.wantCfg) || !slices.Equal(commit, tt.wantCommit) || !slices.Equal(env, tt.wantEnv) {
				t.Errorf("signingArgs = %q %q %q, want %q %q %q", cfg, commit, env, tt.wantCfg, tt.wantCommit, tt.wantEnv)
			}
		})
	}
}

// SSH key material is written to the session (with the final newline
// ssh-keygen needs) and never reaches the arguments.
func TestSigningKeyMaterialGoesToAFile(t *testing.T) {
	s, err := newSession(Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	material := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
	cfg, _, _, err := (&SigningConfig{Format: SigningSSH, KeyID: "/ignored", SSHPrivateKey: []byte(material)}).signingArgs(s)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.dir, "signing_key")
	if !slices.Contains(cfg, "user.signingkey="+path) || strings.Contains(strings.Join(cfg, " "), "b3BlbnNz") {
		t.Fatalf("cfg %q, want the key file %s and no key material", cfg, path)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", info, err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != material+"\n" {
		t.Errorf("key file %q", data)
	}
}
