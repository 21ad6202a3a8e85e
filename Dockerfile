# imagepilot's container image, for machines with a container engine.
# hack/image.sh builds the same image without one (mmdebstrap +
# go-containerregistry); both run as the numeric user 65532 and carry git,
# ssh and gpg, which imagepilot shells out to.
#
#   docker build \
#     --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg COMMIT="$(git rev-parse HEAD)" \
#     -t ghcr.io/imagepilot/imagepilot:"$(git describe --tags --always --dirty)" .
#
# VERSION and COMMIT are required: a release image never says "dev".

FROM golang:1.26-bookworm AS build
ARG VERSION
ARG COMMIT
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN test -n "$VERSION" && test "$VERSION" != dev && test -n "$COMMIT" || \
      { echo 'set --build-arg VERSION=$(git describe --tags --always --dirty) and --build-arg COMMIT=$(git rev-parse HEAD)' >&2; exit 1; }
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/imagepilot/imagepilot/internal/cli.version=${VERSION} -X github.com/imagepilot/imagepilot/internal/cli.commit=${COMMIT}" \
      -o /out/imagepilot ./cmd/imagepilot

FROM debian:bookworm-slim
ARG VERSION
ARG COMMIT
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git openssh-client gpg gpg-agent ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 imagepilot \
 && useradd --uid 65532 --gid 65532 --home-dir /home/imagepilot --create-home --shell /usr/sbin/nologin imagepilot
COPY --from=build /out/imagepilot /usr/local/bin/imagepilot
LABEL org.opencontainers.image.title="imagepilot" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.source="https://github.com/imagepilot/imagepilot"
ENV HOME=/home/imagepilot
WORKDIR /home/imagepilot
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/imagepilot"]
