// Package verify checks cosign signatures of container images with public
// keys, offline. A [Verifier] implements policy.Verifier: the policy asks it
// about the image a strategy picked, and a tag whose image does not verify
// is not eligible.
//
// # What counts as signed
//
// cosign stores the signatures of the image at sha256:<hex> as the layers
// of a manifest tagged sha256-<hex>.sig in the same repository (the legacy
// format): each layer is a simple-signing JSON payload with the base64
// signature in the dev.cosignproject.cosign/signature annotation. An image
// is verified when one layer's signature verifies with one of the keys
// (ECDSA, RSA PKCS#1 v1.5 or Ed25519, PEM) and that payload names the
// image's own digest in critical.image.docker-manifest-digest. A multi-arch
// tag is verified at its index digest, as `cosign verify IMAGE:TAG` does.
//
// Signatures in the sigstore bundle format (cosign sign
// --new-bundle-format) are found through the OCI referrers tag schema: the
// tag sha256-<hex> holds an index of artifacts whose subject is the image;
// each bundle is a DSSE envelope whose in-toto statement, of predicate type
// https://sigstore.dev/cosign/sign/v1, names the image digest as subject.
// The DSSE signature is checked over the DSSE pre-authentication encoding
// with the same keys. Transparency-log entries and timestamps are not
// checked (offline, key-based verification).
//
// # Reasons
//
// An image that does not verify gets one reason, the most telling one
// across its signatures: "signature for another digest" (a key verifies a
// payload naming another image), "wrong key" (well-formed signatures no key
// verifies), "unreadable signature" (malformed payload or signature), "no
// signature".
//
// # Cost
//
// A missing signature tag is seen in the cycle's tag listing, so an
// unsigned image costs no request. Results are cached in the Verifier (one
// per key set, kept for the process): a verified image digest is never
// checked again; a failed one is checked again only when its signature
// manifest changes.
package verify
