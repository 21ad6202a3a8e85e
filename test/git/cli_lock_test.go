package gitint

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestRunOnceNextToPlanLosesNothing runs `imagepilot run --once` and
// `imagepilot plan` at the same time on one --git-cache-dir (each builds
// its own git Manager, as two processes would), round after round with a
// new tag each round: every run must push the new tag, every commit it
// reports must be on the remote, and neither may fail.
func TestRunOnceNextToPlanLosesNothing(t *testing.T) {
	rounds := soakRounds(t, 4, 20)
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryBasic})
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword})
	bare := srv.RepoPath("gitops.git")
	repoURL := srv.RepoURL("gitops.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{
		"helm/Chart.yaml":     "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
		"helm/values.yaml":    "frontend:\n  image:\n    tag: v0\n",
		"apps/guestbook.yaml": guestbookManifest(repoURL, reg.Host),
	})
	conf := filepath.Join(t.TempDir(), "registries.conf")
	confText := fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n  credentials: env:TEST_REGISTRY_CREDS\n", reg.Host, reg.URL)
	if err := os.WriteFile(conf, []byte(confText), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_REGISTRY_CREDS", reg.Username+":"+reg.Password)
	t.Setenv("TEST_GIT_PASSWORD", httpPassword)
	flags := []string{"--repo", repoURL, "--registries-conf-path", conf, "--git-username", httpUser,
		"--git-password-env", "TEST_GIT_PASSWORD", "--git-cache-dir", t.TempDir(),
		"--git-commit-user", "imagepilot-test", "--git-commit-email", "bot@example.com"}
	auth := []remote.Option{remote.WithAuth(&authn.Basic{Username: reg.Username, Password: reg.Password})}
	commitRE := regexp.MustCompile(`commit=([0-9a-f]{40}) pushed=true`)
	for round := 1; round <= rounds; round++ {
		tag := fmt.Sprintf("v%d", round)
		infra.PushTags(t, reg.Host+"/team/guestbook", map[string]time.Time{tag: time.Date(2026, 1, 1, round, 0, 0, 0, time.UTC)}, false, auth)
		var wg sync.WaitGroup
		codes, outs := make([]int, 2), make([]string, 2)
		for i, cmd := range []string{"run", "plan"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				args := []string{cmd}
				if cmd == "run" {
					args = append(args, "--once")
				}
				var out, errOut bytes.Buffer
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				codes[i] = cli.Execute(ctx, append(args, flags...), &out, &errOut)
				outs[i] = out.String() + errOut.String()
			}()
		}
		wg.Wait()
		for i, name := range []string{"run --once", "plan"} {
			if codes[i] != 0 {
				t.Fatalf("round %d: %s exit %d\n%s", round, name, codes[i], outs[i])
			}
		}
		override := infra.GitRun(t, bare, "show", "main:helm/.argocd-source-guestbook.yaml")
		if !strings.Contains(override, "value: "+tag) {
			t.Fatalf("round %d: remote has no %s (update lost):\n%s\nrun said:\n%s", round, tag, override, outs[0])
		}
		m := commitRE.FindStringSubmatch(outs[0])
		if m == nil {
			t.Fatalf("round %d: run reported no pushed commit:\n%s", round, outs[0])
		}
		infra.GitRun(t, bare, "merge-base", "--is-ancestor", m[1], "main")
	}
}

func guestbookManifest(repoURL, registry string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: guestbook=%[2]s/team/guestbook
    argocd-image-updater.argoproj.io/guestbook.helm.image-tag: frontend.image.tag
    argocd-image-updater.argoproj.io/write-back-method: git
spec:
  project: default
  source:
    repoURL: %[1]s
    targetRevision: main
    path: helm
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`, repoURL, registry)
}
