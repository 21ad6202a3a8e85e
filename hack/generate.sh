#!/usr/bin/env bash
# generate.sh regenerates the DeepCopy methods of every API package and the
# ImageUpdater CRD with a pinned controller-gen.
#
# Usage: hack/generate.sh [OUTPUT_ROOT]
#   OUTPUT_ROOT defaults to the repository root. The deepcopy files are
#   written next to the types (controller-gen cannot redirect them), the CRD
#   into OUTPUT_ROOT/config/crd/bases and OUTPUT_ROOT/charts/imagepilot/files. hack/verify-generated.sh uses
#   OUTPUT_ROOT to regenerate into a scratch copy.
set -euo pipefail

CONTROLLER_TOOLS_VERSION="${CONTROLLER_TOOLS_VERSION:-v0.22.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT}"
CONTROLLER_GEN=(go run "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_TOOLS_VERSION}")

cd "$OUT"
"${CONTROLLER_GEN[@]}" object paths=./api/...
"${CONTROLLER_GEN[@]}" crd:crdVersions=v1 paths=./api/v1alpha1/... \
  output:crd:artifacts:config=config/crd/bases
# The Helm chart ships the same CRD as a file its crd.yaml template renders
# (so helm upgrade updates it, with the chart's crds.install/crds.keep).
mkdir -p charts/imagepilot/files
cp config/crd/bases/argocd-image-updater.argoproj.io_imageupdaters.yaml charts/imagepilot/files/crd-imageupdaters.yaml
