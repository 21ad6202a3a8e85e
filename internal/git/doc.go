// Package git keeps persistent working copies of Git repositories and writes
// commits back to them with the git command-line client.
//
// A Manager owns a cache directory holding one working copy per repository
// URL (the directory is named by a hash of the URL). Open clones the
// repository the first time (shallow and without tags where the transport
// allows it) and reuses the copy afterwards: later cycles only fetch. Open
// also takes a per-repository lock, so concurrent users of the same
// repository serialise until Repo.Close.
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
//
// Credentials never appear in process arguments or logs. HTTPS credentials
// are handed to git by a GIT_ASKPASS script that reads them from 0600 files in
// a private 0700 temporary directory, so they are not in the environment
// either; SSH keys, known_hosts and TLS material are written to the same
// directory and removed when the command finishes. Every command runs with a
// timeout, without the system or user git configuration
// (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null), without terminal
// prompts, restricted to the file, git, http, https and ssh transports, and
// with LC_ALL=C so that messages are parseable. Errors carry git's standard
// error with URL user information and known secrets redacted.
package git
