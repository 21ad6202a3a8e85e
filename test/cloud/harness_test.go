package cloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
	"net/http"
)

// issued is the set of registry credentials the fake clouds handed out;
// the registry's token server accepts those and nothing else (besides the
// admin pair that pushes the test images).
type issued struct {
	mu    sync.Mutex
	pairs map[string]bool
}

func newIssued() *issued { return &issued{pairs: map[string]bool{}} }

func (i *issued) add(user, password string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.pairs[user+"\x00"+password] = true
}

// revokeAll forgets every issued credential, as an expiry does.
func (i *issued) revokeAll() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.pairs = map[string]bool{}
}

func (i *issued) ok(user, password string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.pairs[user+"\x00"+password]
}

const adminUser, adminPassword = "admin", "admin-password"

// startRegistry runs the real docker-registry with token auth accepting
// only iss's credentials, with team/app:1.0.0 and 1.1.0 pushed.
func startRegistry(t *testing.T, iss *issued, handlers map[string]http.Handler) *infra.Registry {
	t.Helper()
	reg := infra.StartRegistry(t, infra.RegistryOptions{
		Auth: infra.RegistryToken, Username: adminUser, Password: adminPassword,
		TokenAccept: func(u, p string) bool { return (u == adminUser && p == adminPassword) || iss.ok(u, p) },
		Handlers:    handlers,
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	infra.PushTags(t, reg.Repo("team/app"), map[string]time.Time{"1.0.0": day(1), "1.1.0": day(2)}, false, reg.RemoteOptions(ctx))
	return reg
}

// writeConf writes a registries.conf with one entry.
func writeConf(t *testing.T, prefix, apiURL, creds string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registries.conf")
	body := fmt.Sprintf("registries:\n- name: cloud\n  prefix: %s\n  api_url: %s\n  credentials: %s\n", prefix, apiURL, creds)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// check runs `imagepilot check` for image with the registries.conf.
func check(t *testing.T, conf, image string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Execute(ctx, []string{"check", "--registries-conf-path", conf, image}, &out, &errOut)
	return code, out.String() + errOut.String()
}

// writeFile writes a token file and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
