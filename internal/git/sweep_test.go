package git

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSweepSessionsRemovesOnlyDeadSessions(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	live, err := newSession(Credentials{Username: "u", Password: "pw-value", KnownHosts: []byte("h k")})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	dead := filepath.Join(tmp, sessionPrefix+"dead")
	writeFiles(t, dead, map[string]string{sessionLockName: "", "askpass": "#!/bin/sh\n", "id_key": "key"})
	legacy := filepath.Join(tmp, sessionPrefix+"legacy")
	writeFiles(t, legacy, map[string]string{"password": "old-secret", "askpass": "x"})
	old := time.Now().Add(-2 * legacySessionAge)
	if err := os.Chtimes(legacy, old, old); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(tmp, sessionPrefix+"empty") // killed before its lock file existed
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	recentLegacy := filepath.Join(tmp, sessionPrefix+"recent")
	writeFiles(t, recentLegacy, map[string]string{"password": "in-use"})
	foreign := filepath.Join(tmp, sessionPrefix+"cache-of-someone")
	writeFiles(t, foreign, map[string]string{"notes.txt": "mine"})
	if err := os.Chtimes(foreign, old, old); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(tmp, sessionPrefix+"mycache")
	newTestManager(t, WithCacheDir(cache)) // sweeps at start-up
	for dir, want := range map[string]bool{live.dir: true, dead: false, legacy: false, empty: false, recentLegacy: true, foreign: true, cache: true} {
		_, err := os.Stat(dir)
		if exists := err == nil; exists != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(dir), exists, want)
		}
	}
}
