// Package git keeps persistent working copies of Git repositories and writes
// commits back to them with the git command-line client.
//
// A Manager owns a cache directory holding one working copy per repository
// URL (the directory is named by a hash of the URL). Open clones the
// repository the first time (shallow and without tags where the transport
// allows it) and reuses the copy afterwards: later cycles only fetch. Open
// also takes the working copy's lock, against other goroutines and (with
// flock on "<copy>.lock") other processes sharing the cache directory, so
// users of the same repository serialise until Repo.Close; the wait is
// bounded (WithLockTimeout, then an error wrapping ErrBusy that names the
// holder's pid). Manager.Lease holds that lock across the several Opens of
// one cycle. Under the lock, Open removes what a killed process left: clones
// that did not finish (a clone is marked complete only after it succeeded)
// and git's own lock files. A cancelled context is never taken for a broken
// working copy: only a copy git itself rejects is cloned again.
//
// The working copy belongs to this package, not to a person: every checkout
// hard-resets it to the remote branch and removes untracked files, which also
// repairs whatever an interrupted earlier run left behind. A push is atomic on
// the remote, so a crash never leaves the remote half-written.
//
// CommitAndPush derives a change by calling the caller's Apply function on a
// clean checkout of the remote branch, commits it (author, sign-off, OpenPGP
// or SSH signing, configured per command with -c, never globally) and pushes.
// When the push is rejected because someone else pushed first, it fetches the
// new head, calls Apply again so that the change is re-derived from the
// current content (another writer's edit is never clobbered), and retries with
// backoff up to a bound. It never force-pushes unless the request allows it.
// A push counts only when git's porcelain status says the branch was updated
// and the remote branch (ls-remote) then holds the commit; otherwise the
// error wraps ErrPushNotConfirmed.
//
// Credentials never appear in process arguments or logs, and HTTPS
// passwords never in files: they reach git through a GIT_ASKPASS script that
// holds no secret and prints them from environment variables set on the git
// child process only. SSH keys, known_hosts and TLS material are written to
// a private 0700 temporary directory ("imagepilot-git-*", whose owner holds
// a flock on it) and removed when the command finishes; NewManager sweeps
// the directories of processes that died. Git children die with imagepilot
// (on Linux). Every command runs with a timeout, without the system or user
// git configuration
// (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null), without terminal
// prompts, restricted to the file, git, http, https and ssh transports, and
// with LC_ALL=C so that messages are parseable. Errors carry git's standard
// error with URL user information and known secrets redacted.
package git
