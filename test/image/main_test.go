package image

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// build is what TestMain's single run of hack/image.sh produced.
type build struct {
	// skip, when set, is why the tests cannot run on this machine.
	skip string
	// err is a failed build.
	err error
	// out is IMAGEPILOT_IMAGE_OUT: oci/, imagepilot.tar, version, summary.
	out string
	// version and commit are what the checkout says they must be.
	version, commit string
	// repoRoot is the checkout.
	repoRoot string
}

// built is set once by TestMain before any test runs.
var built build

func TestMain(m *testing.M) {
	out, err := os.MkdirTemp("", "imagepilot-image-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built = buildImage(out)
	code := m.Run()
	_ = os.RemoveAll(out)
	os.Exit(code)
}

// buildImage runs hack/image.sh into out, unless the machine cannot run the
// tests.
func buildImage(out string) build {
	b := build{out: out}
	if os.Geteuid() != 0 {
		b.skip = "the image test needs root (chroot, mknod, file ownership); CI runs it as root"
		return b
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		b.skip = "mmdebstrap is not installed (apt-get install mmdebstrap; hack/test.sh does it)"
		return b
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		b.err = err
		return b
	}
	b.repoRoot = root
	if b.version, err = gitOutput(root, "describe", "--tags", "--always", "--dirty"); err != nil {
		b.err = err
		return b
	}
	if b.commit, err = gitOutput(root, "rev-parse", "HEAD"); err != nil {
		b.err = err
		return b
	}
	start := time.Now()
	cmd := exec.Command("bash", "hack/image.sh")
	cmd.Dir = root
	cmd.Env = append(withoutVar(os.Environ(), "VERSION"), "IMAGEPILOT_IMAGE_OUT="+out, "IMAGEPILOT_IMAGE=imagepilot.test/imagepilot")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		b.err = fmt.Errorf("bash hack/image.sh: %w\n%s", err, log.String())
		return b
	}
	fmt.Fprintf(os.Stderr, "hack/image.sh took %s:\n%s", time.Since(start).Round(time.Second), log.String())
	return b
}

// requireImage skips or fails the test as TestMain's build says.
func requireImage(t *testing.T) build {
	t.Helper()
	if built.skip != "" {
		t.Skip(built.skip)
	}
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built
}

// withoutVar drops key from env, so the script derives the version itself.
func withoutVar(env []string, key string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
