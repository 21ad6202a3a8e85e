package repomode_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

// transportEnv is a registry plus a bare repository served some other way
// than the Basic-auth HTTP server of setup.
func transportEnv(t *testing.T, bare, repoURL string) *env {
	t.Helper()
	e := setupWith(t, infra.RegistryOptions{Auth: infra.RegistryBasic}, func(e *env) map[string]string {
		e.repoURL = repoURL
		return chart(e, "")
	})
	// setupWith created its own repository on the HTTP server; point the
	// environment at the one this test serves instead.
	e.bare, e.repoURL = bare, repoURL
	infra.GitBareRepoFromFiles(t, bare, "main", chart(e, ""))
	return e
}

// run invokes the CLI with the registry flags but the given repository flags.
func (e *env) runWith(t *testing.T, repoFlags ...string) (int, string, string) {
	t.Helper()
	args := append([]string{"run", "--once", "--registries-conf-path", e.conf, "--git-cache-dir", e.cacheDir,
		"--git-commit-user", "imagepilot-test", "--git-commit-email", "bot@example.com"}, repoFlags...)
	return e.imagepilotRaw(t, args...)
}

func TestRepoOverSSHWithKnownHosts(t *testing.T) {
	sshd := infra.StartSSHD(t)
	bare := filepath.Join(t.TempDir(), "gitops.git")
	e := transportEnv(t, bare, sshd.RepoURL(bare))
	e.push(t, "team/guestbook", "v1", "v2")
	dir := t.TempDir()
	good, wrong := filepath.Join(dir, "known_hosts"), filepath.Join(dir, "wrong_known_hosts")
	if err := os.WriteFile(good, sshd.KnownHosts, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrong, sshd.WrongKnownHosts, 0o600); err != nil {
		t.Fatal(err)
	}
	// A wrong host key is refused: nothing is pushed.
	head := e.head(t)
	if code, out, stderr := e.runWith(t, "--repo", e.repoURL, "--git-ssh-key", sshd.ClientKeyPath, "--git-known-hosts", wrong); code == 0 || e.head(t) != head {
		t.Fatalf("wrong host key accepted: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr := e.runWith(t, "--repo", e.repoURL, "--git-ssh-key", sshd.ClientKeyPath, "--git-known-hosts", good)
	if code != 0 || !strings.Contains(e.file(t, "helm/.argocd-source-guestbook.yaml"), "value: v2") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, "PRIVATE KEY") {
		t.Fatal("key material in output")
	}
}

func TestRepoOverHTTPSWithPrivateCA(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{TLS: true, Username: "git", Password: "gitpw"})
	e := transportEnv(t, srv.RepoPath("gitops.git"), srv.RepoURL("gitops.git"))
	infra.GitRun(t, e.bare, "config", "http.receivepack", "true")
	e.push(t, "team/guestbook", "v1", "v3")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_GIT_PASSWORD", "gitpw")
	creds := []string{"--repo", e.repoURL, "--git-username", "git", "--git-password-env", "TEST_GIT_PASSWORD"}
	// TLS is verified by default: without the CA the server is refused.
	if code, _, _ := e.runWith(t, creds...); code == 0 {
		t.Fatal("untrusted certificate accepted")
	}
	code, out, stderr := e.runWith(t, append(creds, "--git-ca-file", ca)...)
	if code != 0 || !strings.Contains(e.file(t, "helm/.argocd-source-guestbook.yaml"), "value: v3") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, "gitpw") {
		t.Fatal("password in output")
	}
}

func TestRepoOverGitDaemonWithSSHSignedCommits(t *testing.T) {
	root := t.TempDir()
	daemon := infra.StartGitDaemon(t, root)
	e := transportEnv(t, filepath.Join(root, "gitops.git"), daemon.RepoURL("gitops.git"))
	e.push(t, "team/guestbook", "v1", "v2")
	key := filepath.Join(t.TempDir(), "signing")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bot@example.com", "-f", key).CombinedOutput(); err != nil {
		t.Skipf("ssh-keygen: %v %s", err, out)
	}
	code, out, stderr := e.runWith(t, "--repo", e.repoURL, "--git-commit-signing-key", key, "--git-commit-signing-method", "ssh", "--git-commit-sign-off")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	allowed := filepath.Join(t.TempDir(), "allowed_signers")
	if err := os.WriteFile(allowed, []byte("bot@example.com "+string(pub)), 0o600); err != nil {
		t.Fatal(err)
	}
	verify := exec.Command("git", "--git-dir", e.bare, "-c", "gpg.ssh.allowedSignersFile="+allowed, "verify-commit", "main")
	if out, err := verify.CombinedOutput(); err != nil {
		t.Fatalf("commit not verifiably signed: %v\n%s", err, out)
	}
	if msg := infra.GitRun(t, e.bare, "log", "-1", "--format=%B", "main"); !strings.Contains(msg, "Signed-off-by: imagepilot-test <bot@example.com>") {
		t.Fatalf("no sign-off:\n%s", msg)
	}
}
