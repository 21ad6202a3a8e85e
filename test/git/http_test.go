package gitint

import (
	"context"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

const (
	httpUser     = "pilot"
	httpPassword = "s3cret-t0ken-value"
)

func TestHTTPBasicAuthCycleReusesWorkingCopy(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword})
	infra.GitBareRepoFromFiles(t, srv.RepoPath("app.git"), "main", map[string]string{"values.yaml": "tag: v1\n"})
	m, rec := newManager(t)
	creds := git.Credentials{Username: httpUser, Password: httpPassword}
	for i, tag := range []string{"v2", "v3", "v3"} {
		res, err := cycle(t, m, srv.RepoURL("app.git"), creds, setKey("values.yaml", "tag", tag))
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if res.Pushed != (i < 2) {
			t.Fatalf("cycle %d pushed = %v", i, res.Pushed)
		}
	}
	if got := show(t, srv.RepoPath("app.git"), "main", "values.yaml"); got != "tag: v3" {
		t.Fatalf("remote values.yaml = %q", got)
	}
	st := m.Stats()
	if st.Clones != 1 || st.Fetches < 3 || st.Commits != 2 || st.Pushes != 2 {
		t.Fatalf("stats = %+v, want 1 clone, >=3 fetches, 2 commits, 2 pushes", st)
	}
	rec.assertNoSecret(t, httpPassword)
}

func TestHTTPCredentialsInURLAreNotStored(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword})
	infra.GitBareRepoFromFiles(t, srv.RepoPath("app.git"), "main", map[string]string{"values.yaml": "tag: v1\n"})
	m, rec := newManager(t)
	url := strings.Replace(srv.RepoURL("app.git"), "http://", "http://"+httpUser+":"+httpPassword+"@", 1)
	if _, err := cycle(t, m, url, git.Credentials{}, setKey("values.yaml", "tag", "v2")); err != nil {
		t.Fatal(err)
	}
	dir, err := m.WorkDir(url)
	if err != nil {
		t.Fatal(err)
	}
	if origin := infra.GitRun(t, dir, "config", "remote.origin.url"); strings.Contains(origin, httpPassword) {
		t.Fatalf("password stored in working copy config: %q", origin)
	}
	rec.assertNoSecret(t, httpPassword)
}

func TestHTTPWrongPasswordFailsWithoutLeaking(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword})
	infra.GitBareRepoFromFiles(t, srv.RepoPath("app.git"), "main", map[string]string{"values.yaml": "tag: v1\n"})
	m, rec := newManager(t)
	const wrong = "wrong-password-123"
	_, err := m.Open(context.Background(), srv.RepoURL("app.git"), git.Credentials{Username: httpUser, Password: wrong})
	if err == nil {
		t.Fatal("clone with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), wrong) {
		t.Fatalf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), "Authentication failed") {
		t.Fatalf("error does not say why: %v", err)
	}
	if srv.AuthFailures.Load() == 0 {
		t.Fatal("server saw no failed authentication")
	}
	rec.assertNoSecret(t, wrong)
}

func TestHTTPSPrivateCA(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword, TLS: true})
	infra.GitBareRepoFromFiles(t, srv.RepoPath("app.git"), "main", map[string]string{"values.yaml": "tag: v1\n"})
	url := srv.RepoURL("app.git")
	base := git.Credentials{Username: httpUser, Password: httpPassword}

	m, _ := newManager(t)
	if _, err := m.Open(context.Background(), url, base); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("clone without the CA = %v, want a certificate error", err)
	}
	withCA := base
	withCA.CAData = srv.CAPEM
	if _, err := cycle(t, m, url, withCA, setKey("values.yaml", "tag", "v2")); err != nil {
		t.Fatalf("with CA: %v", err)
	}
	insecure := base
	insecure.InsecureSkipTLSVerify = true
	m2, _ := newManager(t)
	if _, err := cycle(t, m2, url, insecure, setKey("values.yaml", "tag", "v3")); err != nil {
		t.Fatalf("insecure: %v", err)
	}
	if got := show(t, srv.RepoPath("app.git"), "main", "values.yaml"); got != "tag: v3" {
		t.Fatalf("remote values.yaml = %q", got)
	}
}
