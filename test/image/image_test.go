package image

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imagepilot/imagepilot/test/infra"
)

// cranePkg is the crane the docs tell users to push with.
const cranePkg = "github.com/google/go-containerregistry/cmd/crane@v0.22.1"

// TestImage pushes the built image (layout and tarball) with crane, pulls
// it back, checks its configuration and runs the tools inside its root
// filesystem.
func TestImage(t *testing.T) {
	b := requireImage(t)
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ref := reg.Host + "/imagepilot/imagepilot:" + b.version
	crane(t, b, "push", filepath.Join(b.out, "oci"), ref)
	crane(t, b, "push", filepath.Join(b.out, "imagepilot.tar"), reg.Host+"/imagepilot/imagepilot:from-tar")

	img := pull(t, ref)
	checkConfig(t, img, b)
	if fromTar := pull(t, reg.Host+"/imagepilot/imagepilot:from-tar"); configName(t, fromTar) != configName(t, img) {
		t.Error("the tarball and the layout hold different images")
	}
	r := unpack(t, img)

	t.Run("version", func(t *testing.T) {
		code, out := r.entrypoint(t, nil, "version")
		want := fmt.Sprintf("imagepilot %s (commit %s,", b.version, b.commit)
		if code != 0 || !strings.HasPrefix(out, want) || strings.Contains(out, " dev ") {
			t.Fatalf("exit %d, want prefix %q:\n%s", code, want, out)
		}
	})
	t.Run("user", func(t *testing.T) {
		if code, out := r.run(t, nil, "id", "-u"); code != 0 || strings.TrimSpace(out) != "65532" {
			t.Fatalf("id -u: exit %d %q", code, out)
		}
	})
	t.Run("tools", func(t *testing.T) {
		for _, argv := range [][]string{{"git", "--version"}, {"ssh", "-V"}, {"gpg", "--version"}, {"ssh-keygen", "-?"}} {
			code, out := r.run(t, nil, argv...)
			if (code != 0 && argv[0] != "ssh-keygen") || !strings.Contains(strings.ToLower(out), strings.Split(argv[0], "-")[0]) {
				t.Errorf("%s: exit %d\n%s", strings.Join(argv, " "), code, out)
			}
		}
	})
	t.Run("ssh knows the user", func(t *testing.T) {
		// ssh refuses to run for a uid missing from /etc/passwd.
		if code, out := r.run(t, nil, "ssh", "-G", "git.example.com"); code != 0 || !strings.Contains(out, "\nuser imagepilot\n") {
			t.Fatalf("ssh -G: exit %d\n%s", code, out)
		}
	})
	t.Run("run --repo --once", func(t *testing.T) { testRunRepo(t, r, reg) })
}

// checkConfig asserts what Kubernetes and users rely on.
func checkConfig(t *testing.T, img v1.Image, b build) {
	t.Helper()
	mt, err := img.MediaType()
	if err != nil || mt != types.OCIManifestSchema1 {
		t.Errorf("media type %s (%v), want OCI", mt, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || strings.Join(c.Entrypoint, " ") != "/usr/local/bin/imagepilot" || c.WorkingDir != "/home/imagepilot" {
		t.Errorf("user %q entrypoint %q workdir %q", c.User, c.Entrypoint, c.WorkingDir)
	}
	if !contains(c.Env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") {
		t.Errorf("env %q", c.Env)
	}
	for key, want := range map[string]string{
		"org.opencontainers.image.version":  b.version,
		"org.opencontainers.image.revision": b.commit,
		"org.opencontainers.image.source":   "https://github.com/imagepilot/imagepilot",
	} {
		if got := c.Labels[key]; got != want {
			t.Errorf("label %s = %q, want %q", key, got, want)
		}
	}
	if cf.OS != "linux" || cf.Architecture == "" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
}

// testRunRepo runs `imagepilot run --repo file:///... --once` inside the
// image against a repository in its root filesystem and the test registry
// on loopback (chroot shares the network namespace).
func testRunRepo(t *testing.T, r *rootfs, reg *infra.Registry) {
	infra.PushTags(t, reg.Host+"/team/guestbook", map[string]time.Time{
		"v1": time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), "v2": time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC),
	}, true, nil)
	bare := filepath.Join(r.dir, "srv", "gitops.git")
	infra.GitBareRepoFromFiles(t, bare, "main", repoFiles("file:///srv/gitops.git", reg.Host))
	r.chown(t, bare)
	conf := fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", reg.Host, reg.URL)
	if err := os.MkdirAll(filepath.Join(r.dir, "etc", "imagepilot"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "etc", "imagepilot", "registries.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	before := bareGit(t, bare, "rev-parse", "main")
	code, out := r.entrypoint(t, nil, "run", "--repo", "file:///srv/gitops.git", "--once",
		"--registries-conf-path", "/etc/imagepilot/registries.conf",
		"--git-commit-user", "imagepilot-test", "--git-commit-email", "bot@example.com")
	if code != 0 {
		t.Fatalf("run exit %d:\n%s", code, out)
	}
	if after := bareGit(t, bare, "rev-parse", "main"); after == before {
		t.Fatalf("no commit landed:\n%s", out)
	}
	file := bareGit(t, bare, "show", "main:helm/.argocd-source-guestbook.yaml")
	if !strings.Contains(file, "value: "+reg.Host+"/team/guestbook") || !strings.Contains(file, "value: v2") {
		t.Fatalf("override file:\n%s", file)
	}
	if author := bareGit(t, bare, "log", "-1", "--format=%an <%ae>", "main"); author != "imagepilot-test <bot@example.com>" {
		t.Fatalf("author %q", author)
	}
}

// repoFiles is a Helm chart and an Application annotated for git write-back.
func repoFiles(repoURL, registry string) map[string]string {
	return map[string]string{
		"helm/Chart.yaml":     "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
		"helm/values.yaml":    fmt.Sprintf("frontend:\n  image:\n    repository: %s/team/guestbook\n    tag: v1\n", registry),
		"apps/guestbook.yaml": infra.GuestbookApplication(repoURL, registry, "frontend.", ""),
	}
}

func crane(t *testing.T, b build, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", cranePkg}, args...)...)
	cmd.Dir = b.repoRoot
	cmd.Env = withoutVar(os.Environ(), "GOFLAGS") // -mod=... is refused by go run pkg@version
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("crane %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func pull(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	return img
}

func configName(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// bareGit runs git on the bare repository the image's user owns.
func bareGit(t *testing.T, bare string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-c", "safe.directory=*", "--git-dir", bare}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
