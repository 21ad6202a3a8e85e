// Package registry asks container registries for tags, digests and image
// creation times while spending as few requests as possible.
//
// A Client is long-lived. It keeps, per registry, one HTTP transport chain
// (request counting, the registry's rate limit, retries with Retry-After and
// jittered backoff for GET/HEAD on 429, 5xx and connection errors, and TLS
// verified by default) and, per registry, repository and credential identity,
// one authenticated go-containerregistry transport that is created once (one
// ping, one token) and reused across images and cycles; a bearer token is
// refreshed by go-containerregistry when the registry answers 401. It also
// keeps two caches across cycles: tag to digest with a time to live, and
// what each manifest says (creation time and config platform of an image,
// the children of an index) by digest (bounded LRU), so a known digest is
// never fetched twice. A single image's config platform is matched against
// the wanted platforms exactly as an index child's platform is.
//
// Every request is bounded, body included (a total deadline per attempt and
// a stall deadline between body reads), and every operation of a cycle (a
// paged listing, a digest, an image's metadata) has its own bound.
//
// A Cycle belongs to one update cycle. Within it each repository's tags are
// listed once per credential identity, however many callers ask at the same
// time, and each tag's digest is asked (HEAD) at most once. A listing that
// fails or is cut short returns an error, never part of the list; names in
// it that are not valid tag references are dropped (Listing.Invalid) and
// never used in a request. A registry that timed out is not asked again
// within the cycle, so it cannot hold up other registries' images.
//
// Errors are wrapped so that errors.Is tells ErrRateLimited, ErrUnauthorized,
// ErrNotFound, ErrTimeout, ErrNoMatchingPlatform and ErrTransport apart; the go-containerregistry
// *transport.Error stays reachable with errors.As. Credentials and tokens are
// never logged.
package registry
