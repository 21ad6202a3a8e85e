package image

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// rootfs is an unpacked image root filesystem and the configuration a
// container runtime would run it with.
type rootfs struct {
	dir string
	cfg v1.Config
}

// unpack extracts the flattened layers of img into a fresh directory with
// GNU tar (numeric owners, modes kept) and adds the device nodes a container
// runtime would provide in /dev.
func unpack(t *testing.T, img v1.Image) *rootfs {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	cmd := exec.Command("tar", "-C", dir, "--numeric-owner", "--same-owner", "--same-permissions", "-xf", "-")
	cmd.Stdin = rc
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unpack the image: %v\n%s", err, out)
	}
	makeDevices(t, dir)
	return &rootfs{dir: dir, cfg: cf.Config}
}

// makeDevices creates /dev/null, zero, random and urandom (the image ships
// an empty /dev, as runtimes mount their own).
func makeDevices(t *testing.T, dir string) {
	t.Helper()
	for name, dev := range map[string][2]int{"null": {1, 3}, "zero": {1, 5}, "random": {1, 8}, "urandom": {1, 9}} {
		path := filepath.Join(dir, "dev", name)
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, dev[0]<<8|dev[1]); err != nil {
			t.Fatalf("mknod %s: %v", path, err)
		}
		if err := os.Chmod(path, 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// run executes argv inside the root filesystem as the image's user, in its
// working directory, with its environment plus env; it returns the exit
// code and the combined output.
func (r *rootfs) run(t *testing.T, env []string, argv ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"--userspec=" + r.cfg.User, r.dir, "/bin/sh", "-c", `cd "$1" && shift && exec "$@"`, "sh", r.cfg.WorkingDir}
	cmd := exec.CommandContext(ctx, "chroot", append(args, argv...)...)
	cmd.Env = append(append([]string{}, r.cfg.Env...), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("chroot %s: %v\n%s", strings.Join(argv, " "), err, out.String())
	}
	return 0, out.String()
}

// entrypoint runs the image's entrypoint with args.
func (r *rootfs) entrypoint(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	return r.run(t, env, append(append([]string{}, r.cfg.Entrypoint...), args...)...)
}

// chown gives path (recursively) to the image's uid:gid.
func (r *rootfs) chown(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("chown", "-R", r.cfg.User, path).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v\n%s", err, out)
	}
}
