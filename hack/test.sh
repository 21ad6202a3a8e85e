#!/usr/bin/env bash
# test.sh runs imagepilot's whole test suite on a fresh Debian machine: it
# installs the real components the integration tests start (the CNCF
# docker-registry, apache2-utils for htpasswd, openssh-server, etcd, git,
# mmdebstrap for the container image test),
# builds kube-apiserver once into a version-keyed cache, checks the generated
# code, runs go vet, then every test with the race detector.
#
# Usage: bash hack/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test.sh: $*" >&2; }

install_packages() {
  local missing=()
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v git >/dev/null || missing+=(git)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap) # test/image builds the image's base
  [[ ${#missing[@]} -eq 0 ]] && return
  log "installing ${missing[*]}"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_packages
KUBEBUILDER_ASSETS="$(bash hack/kube-apiserver.sh)"
export KUBEBUILDER_ASSETS
log "kube assets in $KUBEBUILDER_ASSETS"
COSIGN_BIN="$(bash hack/cosign.sh)"; export COSIGN_BIN # the cosign CLI test/verify signs with

if [[ -x hack/verify-generated.sh ]] || [[ -f hack/verify-generated.sh ]]; then
  bash hack/verify-generated.sh
fi

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt needed on:" >&2
  echo "$unformatted" >&2
  exit 1
fi

log "go vet"
go vet ./...

log "go test -race"
go test -race -count=1 -timeout 40m "$@" ./...
