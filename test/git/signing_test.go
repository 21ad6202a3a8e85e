package gitint

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestSSHSignedCommitWithSignOff(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "signing")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "signer", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	allowed := filepath.Join(dir, "allowed_signers")
	if err := os.WriteFile(allowed, []byte("imagepilot@example.com "+string(pub)), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "tag: v1\n"})
	m, rec := newManager(t, git.WithSigning(&git.SigningConfig{Format: git.SigningSSH, KeyID: key}))
	ctx := context.Background()
	r, err := m.Open(ctx, srv.RepoURL("app.git"), git.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.CommitAndPush(ctx, git.CommitRequest{Branch: "main", Message: "build: update app",
		SignOff: true, Apply: setKey("values.yaml", "tag", "v2")})
	if err != nil || !res.Pushed {
		t.Fatalf("CommitAndPush = %+v, %v", res, err)
	}
	out := infra.GitRun(t, bare, "-c", "gpg.ssh.allowedSignersFile="+allowed, "verify-commit", "-v", res.Commit)
	if !strings.Contains(out, `Good "git" signature for imagepilot@example.com`) {
		t.Fatalf("verify-commit: %s", out)
	}
	body := infra.GitRun(t, bare, "log", "-1", "--format=%B", res.Commit)
	if !strings.HasSuffix(body, "Signed-off-by: imagepilot <imagepilot@example.com>") {
		t.Fatalf("no sign-off trailer: %q", body)
	}
	for _, c := range rec.cmds {
		if strings.Contains(strings.Join(c.Args, " "), "--global") {
			t.Fatalf("signing configured globally: %v", c.Args)
		}
	}
	if cfg, _ := exec.Command("git", "-C", r.Dir(), "config", "--local", "--get", "gpg.format").Output(); len(cfg) > 0 {
		t.Fatalf("signing written to the working copy config: %s", cfg)
	}
}
