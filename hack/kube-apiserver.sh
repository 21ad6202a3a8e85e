#!/usr/bin/env bash
# kube-apiserver.sh builds kube-apiserver from the Go module proxy and puts it,
# together with Debian's etcd, into a version-keyed cache directory usable as
# KUBEBUILDER_ASSETS. It prints that directory on stdout (progress on stderr).
#
# Usage: hack/kube-apiserver.sh
#   KUBE_VERSION     kube-apiserver version to build (default v1.36.1)
#   ETCD_BIN         etcd binary to install (default: etcd on PATH, /usr/bin/etcd)
#   IMAGEPILOT_CACHE cache root (default $HOME/.cache/imagepilot)
#
# The build is skipped when the binary is already in the cache. etcd comes from
# Debian's etcd-server package; install it with `apt-get install -y etcd-server`.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.1}"
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
CACHE_ROOT="${IMAGEPILOT_CACHE:-$HOME/.cache/imagepilot}"
ASSETS="$CACHE_ROOT/kube-assets/$KUBE_VERSION"

log() { echo "kube-apiserver.sh: $*" >&2; }

install_etcd() {
  if [[ -x "$ASSETS/etcd" ]]; then
    return
  fi
  local etcd_bin="${ETCD_BIN:-$(command -v etcd || echo /usr/bin/etcd)}"
  if [[ ! -x "$etcd_bin" ]]; then
    log "etcd not found (apt-get install -y etcd-server, or set ETCD_BIN)"
    exit 1
  fi
  ln -sf "$etcd_bin" "$ASSETS/etcd"
}

write_wrapper_module() {
  local dir="$1" kube_dir="$2"
  cat >"$dir/main.go" <<'GO'
// Command kube-apiserver wraps the upstream API server for tests.
package main

import (
	"os"

	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
GO
  local go_version
  go_version="$(awk '$1=="go"{print $2; exit}' "$kube_dir/go.mod")"
  {
    echo "module imagepilot.local/kubeapiserver"
    echo
    echo "go $go_version"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    # Every staging module that upstream replaces with ./staging/... is
    # replaced here with its published version.
    grep -E '=> \./staging/' "$kube_dir/go.mod" |
      awk -v v="$STAGING_VERSION" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >"$dir/go.mod"
}

build_apiserver() {
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/kube-apiserver-build.XXXXXX")"
  trap 'rm -rf "$work"' RETURN
  log "downloading k8s.io/kubernetes@$KUBE_VERSION"
  local kube_dir
  kube_dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  if [[ -z "$kube_dir" || ! -f "$kube_dir/go.mod" ]]; then
    log "could not locate k8s.io/kubernetes@$KUBE_VERSION in the module cache"
    exit 1
  fi
  write_wrapper_module "$work" "$kube_dir"
  log "replaces: $(grep -c ' => ' "$work/go.mod") staging modules"
  (cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2)
  log "building (several minutes on 2 cores)"
  local start=$SECONDS
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION" \
    -o "$ASSETS/kube-apiserver.tmp" . >&2)
  mv "$ASSETS/kube-apiserver.tmp" "$ASSETS/kube-apiserver"
  log "built in $((SECONDS - start))s"
}

mkdir -p "$ASSETS"
if [[ ! -x "$ASSETS/kube-apiserver" ]]; then
  build_apiserver
fi
install_etcd
echo "$ASSETS"
