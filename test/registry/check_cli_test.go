package registry

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

// checkV runs `imagepilot check -v` against the registry at host/apiURL.
func checkV(t *testing.T, host, apiURL string, args ...string) (int, string) {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", host, apiURL), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Execute(ctx, append([]string{"check", "-v", "--registries-conf-path", conf}, args...), &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestCheckVerboseShowsInvalidNamesAndPlatforms(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ctx := ctxFor(t)
	opts := reg.RemoteOptions(ctx)
	day := func(d int) time.Time { return time.Date(2025, 8, d, 0, 0, 0, 0, time.UTC) }
	infra.PushImage(t, reg.Repo("cv/app"), infra.NewImage(t, infra.ImageSpec{Created: day(1)}), opts, "1.0.0")
	infra.PushImage(t, reg.Repo("cv/app"), infra.NewImage(t, infra.ImageSpec{Created: day(2), Architecture: "arm64", OCI: true}), opts, "1.1.0")

	t.Run("invalid names", func(t *testing.T) {
		rw := infra.StartTagRewriter(t, reg.URL, []string{"9.0.0$(id)", "9.0.0\r\nX: y", "9.0.0\u202e"})
		code, out := checkV(t, rw.Host, rw.URL, rw.Host+"/cv/app")
		if code != 0 || !strings.Contains(out, "cv/app:1.1.0") {
			t.Fatalf("exit %d, output:\n%s", code, out)
		}
		for _, name := range []string{`"9.0.0$(id)"`, `"9.0.0\r\nX: y"`, `"9.0.0\u202e"`} {
			if !hasLine(out, name, "false", "not a valid tag reference") {
				t.Errorf("no verdict line for %s:\n%s", name, out)
			}
		}
		if strings.ContainsAny(out, "\r\u202e") {
			t.Errorf("raw control characters reached the output: %q", out)
		}
	})
	t.Run("single image of another platform", func(t *testing.T) {
		code, out := checkV(t, reg.Host, reg.URL, reg.Host+"/cv/app", "--update-strategy", "newest-build", "--platforms", "linux/amd64")
		if code != 0 || !strings.Contains(out, "cv/app:1.0.0") {
			t.Fatalf("exit %d, output:\n%s", code, out)
		}
		if !strings.Contains(out, "image is for linux/arm64, wanted linux/amd64") {
			t.Errorf("no platform reason for 1.1.0:\n%s", out)
		}
	})
}

// hasLine reports whether a line of out starts with prefix and contains
// every one of parts.
func hasLine(out, prefix string, parts ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
