#!/usr/bin/env bash
# cosign.sh builds the real cosign CLI from the Go module proxy into a
# version-keyed cache and prints the binary's path on stdout (progress on
# stderr). The signature tests (test/verify) sign images with it.
#
# Usage: hack/cosign.sh
#   COSIGN_VERSION   cosign version to build (default v2.6.5)
#   IMAGEPILOT_CACHE cache root (default $HOME/.cache/imagepilot)
#
# The build is skipped when the binary is already in the cache.
set -euo pipefail

COSIGN_VERSION="${COSIGN_VERSION:-v2.6.5}"
CACHE_ROOT="${IMAGEPILOT_CACHE:-$HOME/.cache/imagepilot}"
DIR="$CACHE_ROOT/cosign/$COSIGN_VERSION"

log() { echo "cosign.sh: $*" >&2; }

build_cosign() {
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/cosign-build.XXXXXX")"
  trap 'rm -rf "$work"' RETURN
  log "building github.com/sigstore/cosign/v2@$COSIGN_VERSION (a few minutes on 2 cores)"
  local start=$SECONDS
  (cd "$work" && CGO_ENABLED=0 GOBIN="$work/bin" go install -trimpath \
    "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION" >&2)
  mv "$work/bin/cosign" "$DIR/cosign"
  log "built in $((SECONDS - start))s"
}

mkdir -p "$DIR"
if [[ ! -x "$DIR/cosign" ]]; then
  build_cosign
fi
echo "$DIR/cosign"
