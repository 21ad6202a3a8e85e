#!/usr/bin/env bash
# verify-generated.sh fails when the committed generated files differ from
# what hack/generate.sh produces. It regenerates in a scratch copy of the
# API packages, so the working tree is never touched.
#
# Usage: hack/verify-generated.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

cp "$ROOT/go.mod" "$ROOT/go.sum" "$SCRATCH/"
mkdir -p "$SCRATCH/config/crd/bases" "$SCRATCH/hack"
cp -r "$ROOT/api" "$SCRATCH/api"
cp "$ROOT/hack/boilerplate.go.txt" "$SCRATCH/hack/" 2>/dev/null || true
"$ROOT/hack/generate.sh" "$SCRATCH"

status=0
while IFS= read -r -d '' generated; do
  rel="${generated#"$SCRATCH"/}"
  if ! diff -u "$ROOT/$rel" "$generated"; then
    status=1
  fi
done < <(find "$SCRATCH/api" "$SCRATCH/config" "$SCRATCH/charts" -name 'zz_generated*.go' -print0 -o -name '*.yaml' -print0)

if ((status != 0)); then
  echo "generated files are stale: run hack/generate.sh and commit the result" >&2
fi
exit "$status"
