package gitint

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestOpenPGPSignedCommit(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg not installed")
	}
	home, err := os.MkdirTemp("/tmp", "gpg-") // short path: gpg-agent socket length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		_ = os.RemoveAll(home)
	})
	gen := exec.Command("gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
		"--quick-gen-key", "imagepilot <imagepilot@example.com>", "ed25519", "sign", "1d")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("gpg key generation: %v\n%s", err, out)
	}
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "tag: v1\n"})
	m, _ := newManager(t)
	ctx := context.Background()
	r, err := m.Open(ctx, srv.RepoURL("app.git"), git.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.CommitAndPush(ctx, git.CommitRequest{Branch: "main", Message: "signed",
		Signing: &git.SigningConfig{Format: git.SigningOpenPGP, KeyID: "imagepilot@example.com", GPGHome: home},
		Apply:   setKey("values.yaml", "tag", "v2")})
	if err != nil {
		t.Fatalf("CommitAndPush: %v", err)
	}
	verify := exec.Command("git", "-C", bare, "verify-commit", "-v", res.Commit)
	verify.Env = append(os.Environ(), "GNUPGHOME="+home, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := verify.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Good signature") {
		t.Fatalf("verify-commit: %v\n%s", err, out)
	}
}
