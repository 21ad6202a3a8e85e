package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSecrets is an in-memory SecretGetter keyed by "ns/name".
type fakeSecrets map[string]map[string][]byte

func (f fakeSecrets) GetSecret(_ context.Context, namespace, name string) (map[string][]byte, error) {
	data, ok := f[namespace+"/"+name]
	if !ok {
		return nil, errors.New("secrets \"" + name + "\" not found")
	}
	return data, nil
}

// writeScript writes an executable shell script into a temp dir.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "creds.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertNoSecret fails when err's text contains any of the secrets.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error reveals secret %q: %v", s, err)
		}
	}
}
