package git

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// legacySessionAge is how old a session directory without a lock file (as
// earlier versions made them, with the password in a file) must be before a
// sweep removes it: older than any command of such a version could run.
const legacySessionAge = 15 * time.Minute

// sweepSessions removes the session directories under os.TempDir() whose
// process died (kill -9, power loss) before it could remove them: a live
// session holds the flock of its lock file, so a successful flock proves it
// is dead. Only directories of the current user that look like sessions are
// touched.
func (m *Manager) sweepSessions() {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), sessionPrefix) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		if dir == m.opts.cacheDir {
			continue
		}
		if m.sweepSession(dir) {
			m.opts.logger.Info("removed the credential directory of a git command that did not finish", "dir", dir)
		}
	}
}

// sweepSession removes dir when it is a dead session; it reports whether it
// did.
func (m *Manager) sweepSession(dir string) bool {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || !ownedByMe(fi) {
		return false
	}
	lockPath := filepath.Join(dir, sessionLockName)
	f, err := os.OpenFile(lockPath, os.O_RDWR, 0)
	if err != nil {
		if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
			// Killed between creating the directory and its lock file, or a
			// creator about to make the lock file: os.Remove fails once it
			// exists, and a creator whose directory vanished makes another.
			return os.Remove(dir) == nil
		}
		return sweepLegacySession(dir, fi)
	}
	defer f.Close()
	busy, err := tryFlock(f)
	if err != nil || busy || !sameFile(f, lockPath) {
		return false
	}
	// Holding the flock: a creator racing with us sees the file gone and
	// makes another directory.
	return os.RemoveAll(dir) == nil
}

// sweepLegacySession removes an old session directory of an earlier
// version (askpass helper, password file, no lock file).
func sweepLegacySession(dir string, fi os.FileInfo) bool {
	if time.Since(fi.ModTime()) < legacySessionAge {
		return false
	}
	for _, name := range []string{"askpass", "password", "id_key", "known_hosts", "ca.pem", "client-key.pem"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return os.RemoveAll(dir) == nil
		}
	}
	return false
}
