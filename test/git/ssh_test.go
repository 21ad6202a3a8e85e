package gitint

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestSSHWithKnownHosts(t *testing.T) {
	sshd := infra.StartSSHD(t)
	bare := filepath.Join(t.TempDir(), "app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "tag: v1\n"})
	url := sshd.RepoURL(bare)
	m, rec := newManager(t)
	creds := git.Credentials{SSHPrivateKey: sshd.ClientKey, KnownHosts: sshd.KnownHosts}
	for _, tag := range []string{"v2", "v3"} {
		if _, err := cycle(t, m, url, creds, setKey("values.yaml", "tag", tag)); err != nil {
			t.Fatalf("ssh cycle: %v", err)
		}
	}
	if got := show(t, bare, "main", "values.yaml"); got != "tag: v3" {
		t.Fatalf("remote values.yaml = %q", got)
	}
	if st := m.Stats(); st.Clones != 1 {
		t.Fatalf("stats = %+v, want one clone", st)
	}
	keyLine := strings.Split(strings.TrimSpace(string(sshd.ClientKey)), "\n")[1]
	rec.assertNoSecret(t, keyLine)
}

func TestSSHHostKeyIsVerified(t *testing.T) {
	sshd := infra.StartSSHD(t)
	bare := filepath.Join(t.TempDir(), "app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "tag: v1\n"})
	url := sshd.RepoURL(bare)
	ctx := context.Background()
	tests := []struct {
		name    string
		creds   git.Credentials
		wantErr string
	}{
		{"wrong host key", git.Credentials{SSHPrivateKey: sshd.ClientKey, KnownHosts: sshd.WrongKnownHosts}, "Host key verification failed"},
		{"no known hosts", git.Credentials{SSHPrivateKey: sshd.ClientKey}, "Host key verification failed"},
		{"wrong key, insecure", git.Credentials{SSHPrivateKey: sshd.ClientKey, KnownHosts: sshd.WrongKnownHosts, InsecureIgnoreHostKey: true}, ""},
		{"no client key", git.Credentials{KnownHosts: sshd.KnownHosts}, "Permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t)
			r, err := m.Open(ctx, url, tt.creds)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				r.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Open = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}
