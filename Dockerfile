# bindery's two images, from the repository root:
#
#   docker build --target krm -t ghcr.io/bindery-dev/bindery:v0.1.0 .      # KRM function (the default target)
#   docker build --target cmp -t ghcr.io/bindery-dev/bindery-cmp:v0.1.0 .  # Argo CD sidecar
#
# Both hold one static (musl) bindery and nothing else but /etc/passwd and /etc/group (for
# `docker run --user nobody`, which kustomize and kpt use): no shell, no package manager, no
# libc. Neither runs as root.
#
# Where the binary comes from (build argument BINDERY_BINARY):
#   source    (default) compiled here from the checkout, in a Rust Alpine (musl) stage;
#   prebuilt  taken from dist/linux-<arch>/bindery in the build context: the release workflow
#             puts the release binaries there, so the images hold exactly the released files and
#             a multi-arch build needs no emulated compile (the final stages run no command).
ARG BINDERY_BINARY=source

FROM rust:1.95-alpine AS source
# musl-dev for mimalloc's C code; its version follows the image's Alpine release.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN cargo build --release --locked --bin bindery \
 && install -D -m 0755 target/release/bindery /out/bindery

FROM scratch AS prebuilt
ARG TARGETARCH
COPY dist/linux-${TARGETARCH}/bindery /out/bindery

FROM ${BINDERY_BINARY} AS binary

FROM scratch AS base
COPY docker/rootfs/ /
COPY --from=binary /out/bindery /usr/local/bin/bindery

# The Argo CD config-management plugin sidecar: argocd-repo-server runs it as user 999 with
# /var/run/argocd/argocd-cmp-server as its command (see argocd-cmp/repo-server-patch.yaml); the
# plugin configuration is baked in where the cmp-server looks for it.
FROM base AS cmp
COPY argocd-cmp/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml
USER 999:999

# The KRM function (`kpt fn eval --image`, kustomize containerized functions): a ResourceList on
# stdin, the ResourceList on stdout. The default target.
FROM base AS krm
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/bindery"]
