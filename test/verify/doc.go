// Package verify tests cosign signature verification end to end: images
// pushed to the real docker-registry, signed with the real cosign CLI
// (built by hack/cosign.sh; COSIGN_BIN names it), checked through
// `imagepilot check --cosign-key` and through the registry client and
// policy across cycles, with every registry request counted.
package verify
