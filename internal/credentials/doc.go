// Package credentials turns the credential references of registries.conf,
// image settings and the command line into registry credentials.
//
// A reference names where credentials live, never the credentials
// themselves (except the CLI-only plain form):
//
//   - env:VAR — the environment variable VAR holds "user:password".
//   - ext:/abs/path — the executable at the absolute path is run without
//     arguments and without a shell (10 s timeout by default); the first
//     line of its standard output is "user:password". Its standard error
//     is quoted in errors, its standard output never is.
//   - secret:ns/name#key — the key of a Kubernetes Secret holds
//     "user:password".
//   - pullsecret:ns/name — a kubernetes.io/dockerconfigjson Secret; the
//     "auths" entry for the registry host is used (see below).
//   - user:password — only when [ParseRef] is given [AllowPlain] (the CLI).
//
// "user:password" is split on the first colon, so passwords may contain
// colons; a Google service account key ("_json_key" with the JSON key as
// password) passes through unchanged. An empty user or password is an
// error. Trailing newlines of secret and environment values are dropped.
//
// Kubernetes-backed references read Secrets through the [SecretGetter]
// interface ([WithSecretGetter]); pullsecret also needs the registry host
// ([WithRegistryHost]). [ParseRef] fails clearly when either is missing.
//
// # Pull secret matching
//
// Like the Docker client, an "auths" key matches the registry host when it
// is equal to it, or equal after removing an http:// or https:// scheme and
// any path, compared case-insensitively. Docker Hub's names (docker.io,
// index.docker.io, registry-1.docker.io, https://index.docker.io/v1/) are
// all one registry. An exact key match wins over a normalised one. The
// entry's "auth" field (base64 of "user:password") wins over its
// "username"/"password" fields; "identitytoken" is passed on.
//
// # Caching
//
// [Cached] wraps a [Source] so a resolved value is reused for a time to
// live (registries.conf credsexpire; 0 = forever). Concurrent callers share
// one resolution; errors are not cached.
//
// # Fallback
//
// [Keychain] returns the keychain used when neither the image nor its
// registry names credentials: the Docker config.json of the process
// ($DOCKER_CONFIG/config.json, ~/.docker/config.json, including credential
// helpers) via authn.DefaultKeychain, after any keychains the caller puts
// first. Pass it to remote.WithAuthFromKeychain.
//
// # Secrecy
//
// No error or String method of this package contains a password, token or
// the value of a plain reference; errors name the reference ("env:REG"),
// never what it resolved to.
package credentials
