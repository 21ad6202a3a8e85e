#!/usr/bin/env bash
# image.sh builds imagepilot's container image without a container engine and
# without internet beyond Debian's package mirror and the Go module proxy:
#
#   1. a root filesystem from Debian packages (mmdebstrap --variant=minbase with
#      git, openssh-client, gpg, gpg-agent, ca-certificates and the numeric user
#      65532 "imagepilot"), cached under
#      ${IMAGEPILOT_CACHE:-$HOME/.cache/imagepilot}/image-base/<suite>-<hash>
#      so a warm machine skips mmdebstrap;
#   2. the static imagepilot binary (CGO_ENABLED=0, -trimpath) with the version
#      from `git describe --tags --always --dirty` and the commit stamped in;
#   3. hack/imagebuild (go-containerregistry) stacks both into an OCI image and
#      writes an OCI layout directory and a tarball.
#
# Usage: bash hack/image.sh
# Environment:
#   IMAGEPILOT_IMAGE_OUT   output directory (default bin/image): oci/ (layout),
#                          imagepilot.tar, imagepilot (the binary), version, summary
#   IMAGEPILOT_IMAGE       image name (default ghcr.io/imagepilot/imagepilot)
#   VERSION, COMMIT        override the version (never "dev") and the commit
#   SOURCE_DATE_EPOCH      image creation time (default: the commit's time)
#   DEBIAN_SUITE           default bookworm
#   DEBIAN_MIRROR          default: the mirror in /etc/apt/sources.list*
#   DEBIAN_SECURITY_MIRROR default: likewise for <suite>-security
#   IMAGEPILOT_BASE_REFRESH=1  rebuild the cached base (picks up security updates)
# Push it: go run github.com/google/go-containerregistry/cmd/crane@v0.22.1 push bin/image/oci REGISTRY/imagepilot:TAG
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "image.sh: $*" >&2; }
die() { log "$*"; exit 1; }

SUITE="${DEBIAN_SUITE:-bookworm}"
OUT="${IMAGEPILOT_IMAGE_OUT:-bin/image}"
IMAGE="${IMAGEPILOT_IMAGE:-ghcr.io/imagepilot/imagepilot}"
CACHE="${IMAGEPILOT_CACHE:-$HOME/.cache/imagepilot}/image-base"
PACKAGES="git,openssh-client,gpg,gpg-agent,ca-certificates"
UID_GID="65532:65532"
HOME_DIR="/home/imagepilot"

# The recipe of the base: everything that changes its content. Its hash keys
# the cache (the mirror does not: it serves the same packages).
BASE_ARGS=(
  --variant=minbase
  "--include=$PACKAGES"
  --skip=output/dev
  "--dpkgopt=path-exclude=/usr/share/man/*"
  "--dpkgopt=path-exclude=/usr/share/locale/*"
  "--dpkgopt=path-exclude=/usr/share/info/*"
  "--dpkgopt=path-exclude=/usr/share/doc/*"
  "--dpkgopt=path-include=/usr/share/doc/*/copyright"
  "--customize-hook=chroot \"\$1\" groupadd --gid ${UID_GID#*:} imagepilot"
  "--customize-hook=chroot \"\$1\" useradd --uid ${UID_GID%:*} --gid ${UID_GID#*:} --home-dir $HOME_DIR --create-home --shell /usr/sbin/nologin imagepilot"
)

# mirror_for SUITE prints the URIs /etc/apt lists for that suite, in file order.
mirror_for() {
  local suite=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v s="$suite" '
      /^[[:space:]]*$/ { uris=""; suites="" }
      /^URIs:/ { uris=$2 } /^Suites:/ { suites=$0 }
      uris != "" && suites != "" { n=split(suites, a); for (i=2; i<=n; i++) if (a[i]==s) { print uris; uris="" } }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk -v s="$suite" '{ line=$0; gsub(/\[[^]]*\]/, "", line); n=split(line, a); if (a[1]=="deb" && a[3]==s) print a[2] }' "$f"
  done
}

BASE_TMP=""
trap '[[ -z $BASE_TMP ]] || rm -rf "$BASE_TMP"' EXIT

# build_base DIR runs mmdebstrap and moves the result to DIR atomically.
build_base() {
  local dir=$1 mirror security
  mirror="${DEBIAN_MIRROR:-$(mirror_for "$SUITE" | head -1)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  security="${DEBIAN_SECURITY_MIRROR:-$(mirror_for "$SUITE-security" | head -1)}"
  security="${security:-http://deb.debian.org/debian-security}"
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found: apt-get install mmdebstrap (or keep a cached base in $CACHE)"
  log "building the base with mmdebstrap from $mirror and $security (about 2 minutes)"
  mkdir -p "$CACHE"
  BASE_TMP=$(mktemp -d "$CACHE/.build.XXXXXX")
  mmdebstrap --quiet "${BASE_ARGS[@]}" \
    "--customize-hook=chroot \"\$1\" dpkg-query -W -f='\${Package} \${Version}\n' > $BASE_TMP/packages.txt" \
    "$SUITE" - \
    "deb $mirror $SUITE main" "deb $mirror $SUITE-updates main" "deb $security $SUITE-security main" |
    gzip -n >"$BASE_TMP/rootfs.tar.gz"
  printf '%s\n' "${BASE_ARGS[@]}" >"$BASE_TMP/recipe.txt"
  [[ ${IMAGEPILOT_BASE_REFRESH:-0} == 1 ]] && rm -rf "$dir"
  # mv -T refuses to replace a directory another build filled meanwhile.
  mv -T "$BASE_TMP" "$dir" 2>/dev/null || log "another build filled $dir first; using it"
  [[ -f $dir/rootfs.tar.gz ]] || die "no base in $dir after the build"
}

version_of_tree() {
  if [[ -n ${VERSION:-} ]]; then
    echo "$VERSION"
  else
    git describe --tags --always --dirty
  fi
}

main() {
  local version commit created arch goarch key base_dir bin summary
  version=$(version_of_tree) || die "cannot derive the version: run inside a git checkout or set VERSION"
  [[ -n $version && $version != dev ]] || die "version \"$version\" is not a release version"
  commit="${COMMIT:-$(git rev-parse HEAD 2>/dev/null)}" || die "cannot read the commit: run inside a git checkout or set COMMIT"
  created="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD 2>/dev/null)}" || die "cannot read the commit time: set SOURCE_DATE_EPOCH"
  arch=$(dpkg --print-architecture)
  case $arch in amd64 | arm64 | ppc64el | s390x) ;; *) die "architecture $arch is not supported" ;; esac
  [[ $arch == ppc64el ]] && goarch=ppc64le || goarch=$arch

  key="$SUITE-$arch-$(printf '%s\n' "${BASE_ARGS[@]}" | sha256sum | cut -c1-16)"
  base_dir="$CACHE/$key"
  if [[ -f $base_dir/rootfs.tar.gz && ${IMAGEPILOT_BASE_REFRESH:-0} != 1 ]]; then
    log "base from cache $base_dir"
  else
    build_base "$base_dir"
  fi

  mkdir -p "$OUT"
  bin="$OUT/imagepilot"
  log "building imagepilot $version ($commit) for linux/$goarch"
  CGO_ENABLED=0 GOOS=linux GOARCH=$goarch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/imagepilot/imagepilot/internal/cli.version=$version -X github.com/imagepilot/imagepilot/internal/cli.commit=$commit" \
    -o "$bin" ./cmd/imagepilot

  log "assembling $IMAGE:$version"
  summary=$(go run ./hack/imagebuild --base "$base_dir/rootfs.tar.gz" \
    --base-comment "Debian $SUITE minbase + $PACKAGES (mmdebstrap)" \
    --binary "$bin" --version "$version" --revision "$commit" --created "$created" \
    --user "$UID_GID" --home "$HOME_DIR" --workdir "$HOME_DIR" --arch "$goarch" \
    --ref "$IMAGE:$version" --layout "$OUT/oci" --tar "$OUT/imagepilot.tar")
  echo "$version" >"$OUT/version"
  printf 'image=%s:%s\nrevision=%s\nbase=%s\n%s\n' "$IMAGE" "$version" "$commit" "$base_dir" "$summary" | tee "$OUT/summary"
}

main "$@"
