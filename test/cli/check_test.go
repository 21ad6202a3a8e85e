// Package cli_test drives `imagepilot check` and `imagepilot demo` through the
// CLI against a real docker-registry in every authentication mode.
package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

func imagepilot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Execute(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// seed pushes tags with increasing creation times.
func seed(t *testing.T, reg *infra.Registry, repo string, tags ...string) {
	t.Helper()
	created := map[string]time.Time{}
	for i, tag := range tags {
		created[tag] = time.Date(2026, 3, 1, i, 0, 0, 0, time.UTC)
	}
	infra.PushTags(t, reg.Repo(repo), created, false, reg.RemoteOptions(context.Background()))
}

func conf(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func plainConf(t *testing.T, reg *infra.Registry, extra string) string {
	return conf(t, fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n%s", reg.Host, reg.URL, extra))
}

type checkJSON struct {
	Image, Tag, Digest string
	Found              bool
}

func TestCheckAnonymous(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	seed(t, reg, "team/app", "1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0", "latest")
	c := plainConf(t, reg, "")
	img := reg.Host + "/team/app"

	code, out, stderr := imagepilot(t, "check", img+":~1", "--registries-conf-path", c, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	var res checkJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if res.Tag != "1.1.0" || !strings.HasPrefix(res.Digest, "sha256:") || res.Image != img {
		t.Fatalf("result %+v", res)
	}

	code, out, _ = imagepilot(t, "check", img, "--registries-conf-path", c, "-v", "--ignore-tags", "2.*")
	if code != 0 || !strings.Contains(out, img+":1.1.0") || !strings.Contains(out, `ignored by ignore-tags "2.*"`) || !strings.Contains(out, "TAG") {
		t.Fatalf("verbose exit %d:\n%s", code, out)
	}

	code, out, _ = imagepilot(t, "check", img, "--registries-conf-path", c, "--update-strategy", "alphabetical", "--allow-tags", "regexp:^l")
	if code != 0 || !strings.Contains(out, img+":latest") {
		t.Fatalf("alphabetical exit %d:\n%s", code, out)
	}

	code, out, _ = imagepilot(t, "check", img, "--registries-conf-path", c, "--update-strategy", "newest-build", "--platforms", "linux/amd64")
	if code != 0 || !strings.Contains(out, img+":latest") {
		t.Fatalf("newest-build exit %d:\n%s", code, out)
	}

	code, out, _ = imagepilot(t, "check", img+":latest", "--registries-conf-path", c, "--update-strategy", "digest")
	if code != 0 || !strings.Contains(out, img+":latest") || !strings.Contains(out, "sha256:") {
		t.Fatalf("digest exit %d:\n%s", code, out)
	}
}

func TestCheckExitCodes(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	seed(t, reg, "team/app", "1.0.0")
	c := plainConf(t, reg, "")
	img := reg.Host + "/team/app"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing eligible", []string{img + ":^2"}, cli.ExitNotFound, "no eligible tag"},
		{"bad regexp", []string{img, "--allow-tags", "regexp:(["}, cli.ExitUsage, "allow-tags"},
		{"unknown strategy", []string{img, "--update-strategy", "newest"}, cli.ExitUsage, "update-strategy"},
		{"bad spec", []string{"Not An Image"}, cli.ExitUsage, "invalid image spec"},
		{"bad output", []string{img, "--output", "yaml"}, cli.ExitUsage, "--output"},
		{"unknown repository", []string{reg.Host + "/team/missing"}, cli.ExitRegistry, "not found"},
		{"unreachable registry", []string{"127.0.0.1:1/team/app", "--registries-conf-path", conf(t, "registries:\n- name: gone\n  prefix: 127.0.0.1:1\n  api_url: http://127.0.0.1:1\n")}, cli.ExitRegistry, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"check"}, tt.args...)
			if !strings.Contains(strings.Join(tt.args, " "), "--registries-conf-path") {
				args = append(args, "--registries-conf-path", c)
			}
			code, out, stderr := imagepilot(t, args...)
			if code != tt.code || !strings.Contains(out+stderr, tt.want) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tt.code, tt.want, out, stderr)
			}
		})
	}
}

func TestCheckBadRegistriesConfNamesTheLine(t *testing.T) {
	c := conf(t, "registries:\n- name: x\n  prefix: a.io\n  api_url: https://a.io\n  api_ulr: typo\n")
	code, _, stderr := imagepilot(t, "check", "a.io/x/y", "--registries-conf-path", c)
	if code != cli.ExitUsage || !strings.Contains(stderr, "registries.conf:5") || !strings.Contains(stderr, "api_ulr") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestCheckBasicAuth(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryBasic})
	seed(t, reg, "team/app", "v1.0.0", "v1.1.0")
	c := plainConf(t, reg, "")
	img := reg.Host + "/team/app"
	t.Setenv("CHECK_CREDS", reg.Username+":"+reg.Password)
	if code, out, stderr := imagepilot(t, "check", img, "--registries-conf-path", c, "--credentials", "env:CHECK_CREDS"); code != 0 || !strings.Contains(out, ":v1.1.0") {
		t.Fatalf("env credentials: exit %d %s %s", code, out, stderr)
	}
	if code, out, stderr := imagepilot(t, "check", img, "--registries-conf-path", c, "--credentials", reg.Username+":"+reg.Password); code != 0 || !strings.Contains(out, ":v1.1.0") {
		t.Fatalf("plain credentials: exit %d %s %s", code, out, stderr)
	}
	script := filepath.Join(t.TempDir(), "creds.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho "+reg.Username+":"+reg.Password+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := imagepilot(t, "check", img, "--registries-conf-path", plainConf(t, reg, "  credentials: ext:"+script+"\n")); code != 0 || !strings.Contains(out, ":v1.1.0") {
		t.Fatalf("registries.conf ext credentials: exit %d %s %s", code, out, stderr)
	}
	code, out, stderr := imagepilot(t, "check", img, "--registries-conf-path", c, "--credentials", reg.Username+":wrong-secret-value")
	if code != cli.ExitRegistry || strings.Contains(out+stderr, "wrong-secret-value") {
		t.Fatalf("wrong password: exit %d (leak check) %s %s", code, out, stderr)
	}
}

func TestCheckBearerToken(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryToken})
	seed(t, reg, "team/app", "1.0.0", "1.0.1")
	t.Setenv("CHECK_CREDS", reg.Username+":"+reg.Password)
	code, out, stderr := imagepilot(t, "check", reg.Host+"/team/app", "--registries-conf-path", plainConf(t, reg, "  credentials: env:CHECK_CREDS\n"))
	if code != 0 || !strings.Contains(out, ":1.0.1") {
		t.Fatalf("exit %d %s %s", code, out, stderr)
	}
}

func TestCheckTLSPrivateCA(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{TLS: true})
	seed(t, reg, "team/app", "1.0.0", "1.3.0")
	img := reg.Host + "/team/app"
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, reg.CA.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := imagepilot(t, "check", img, "--registries-conf-path", plainConf(t, reg, "  ca_file: "+caFile+"\n")); code != 0 || !strings.Contains(out, ":1.3.0") {
		t.Fatalf("with CA: exit %d %s %s", code, out, stderr)
	}
	// TLS is verified by default: without the CA the registry is refused.
	if code, out, stderr := imagepilot(t, "check", img, "--registries-conf-path", plainConf(t, reg, "")); code != cli.ExitRegistry {
		t.Fatalf("without CA: exit %d %s %s", code, out, stderr)
	}
}

func TestDemo(t *testing.T) {
	infra.GitRequire(t)
	code, out, stderr := imagepilot(t, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"UPDATE argocd/guestbook guestbook: v1 -> v4",
		"SKIP   argocd/guestbook redis-master",
		"build: automatic update of guestbook",
		"- name: frontend.image.tag\n    value: v4\n    forcestring: true",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
