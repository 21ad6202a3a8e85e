#!/usr/bin/env bash
# argocd-crds.sh fetches Argo CD's Application and AppProject CRDs from the
# argo-cd Go module (through the Go module proxy, without adding it to our
# go.mod), copies them into a version-keyed cache directory and prints their
# paths, one per line.
#
# Usage: hack/argocd-crds.sh
#   ARGOCD_VERSION   argo-cd module version (default v3.5.7; newer ones need a
#                    newer Go to unpack)
#   IMAGEPILOT_CACHE cache root (default $HOME/.cache/imagepilot)
set -euo pipefail

ARGOCD_VERSION="${ARGOCD_VERSION:-v3.5.7}"
CACHE_ROOT="${IMAGEPILOT_CACHE:-$HOME/.cache/imagepilot}"
DEST="$CACHE_ROOT/argocd-crds/$ARGOCD_VERSION"
CRDS=(application-crd.yaml appproject-crd.yaml)

have_all() {
  local f
  for f in "${CRDS[@]}"; do
    [[ -s "$DEST/$f" ]] || return 1
  done
}

if ! have_all; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  # Outside any module, so our go.mod is never touched.
  dir="$(cd "$scratch" && GOFLAGS=-mod=mod GO111MODULE=on \
    go mod download -json "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  if [[ -z "$dir" ]]; then
    echo "argocd-crds.sh: download of argo-cd $ARGOCD_VERSION failed" >&2
    exit 1
  fi
  mkdir -p "$DEST"
  for f in "${CRDS[@]}"; do
    cp "$dir/manifests/crds/$f" "$DEST/$f.tmp"
    chmod 0644 "$DEST/$f.tmp"
    mv "$DEST/$f.tmp" "$DEST/$f"
  done
fi

for f in "${CRDS[@]}"; do
  echo "$DEST/$f"
done
