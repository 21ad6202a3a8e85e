// Package webhook turns registry push notifications into re-check requests.
//
// A registry (Docker Hub, GHCR, Quay, Harbor, Azure ACR, Alibaba ACR, ECR via
// CloudEvents, GitLab's registry, or a plain CNCF distribution registry) POSTs
// a notification to /webhook?type=<type> (or with the header X-Registry-Type).
// The Server authenticates it with the scheme that type supports, parses it
// with the Parser registered for that type, answers at once (202) and hands
// the resulting Events to a Sink through a per-repository debouncer, so a
// burst of pushes to one repository becomes a single call.
//
// An Event only names the repository to look at again. Its Tag and Digest are
// hints copied from the payload; the receiver must query the registry itself
// and never trust them, because a webhook sender proves at most that it knows
// a shared secret.
//
// # Authentication
//
// A secret is required for every type unless Config.AllowUnauthenticated is
// set; a type without a configured secret answers 401. The schemes are:
//
//	docker.io, quay.io, aliyun-acr   ?secret=<secret> in the URL
//	cloudevents                      ?secret=<secret> or X-Webhook-Secret: <secret>
//	ghcr.io                          X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>
//	harbor, acr, distribution        Authorization: <secret>  (or "Bearer <secret>")
//	gitlab                           X-Gitlab-Token: <secret>
//
// Every comparison is constant-time. Failures answer "unauthorized" without
// saying which part was wrong.
//
// # Rate limits
//
// Requests are authenticated before they are rate-limited. Authenticated
// requests spend a token bucket per webhook type and client address;
// requests that fail authentication (or cannot be read, or name no known
// type) spend a separate, stricter bucket per client address and are
// answered 429 once it is empty. Unsigned traffic therefore never uses up the
// budget of real senders, even when every sender reaches the server through
// one ingress address.
//
// # Sink calls
//
// At most one Sink call runs per repository, and at most
// Config.MaxConcurrentCalls overall. Each call's context ends after
// Config.CallTimeout; a call still running then gives up its slot so that the
// events of other repositories are processed, and its repository's next
// event waits until it has returned.
//
// # Replays
//
// Payloads that carry a delivery id (GitHub's X-GitHub-Delivery, CloudEvents
// id, the ids of distribution/GitLab and ACR events) are remembered in a
// bounded cache. A second delivery with a known id is answered 200 and
// dropped, so a sender that retries is satisfied and nothing runs twice.
// Payloads without an id (Docker Hub, Quay, Harbor, Alibaba) are not
// replay-protected beyond the debouncer.
//
// # Accepted payloads
//
// See the Parser implementations (one file per type) for the exact fields
// read; testdata/ holds a realistic sample for every type. Payloads that are
// valid but describe something other than a tagged push (pulls, deletes,
// pings, blob uploads, non-container packages) yield no events and are
// answered 200.
package webhook
