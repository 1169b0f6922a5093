#!/usr/bin/env bash
# The release layout, in one place: the release workflow packages with it, the Action's installer
# (scripts/action-install.sh) downloads what it names, and tests/hosts/release.rs serves a layout made
# by it. A release `vX.Y.Z` holds:
#
#   bindery-vX.Y.Z-<target>.tar.gz   one directory bindery-vX.Y.Z-<target>/ with bindery,
#                                    LICENSE and README.md; <target> is a Rust target triple:
#                                    x86_64-unknown-linux-musl, aarch64-unknown-linux-musl (static),
#                                    x86_64-apple-darwin, aarch64-apple-darwin
#   bindery-vX.Y.Z.cdx.json          CycloneDX SBOM of the crate's dependencies
#   SHA256SUMS                       `sha256sum` lines for every other file
#
# Usage:
#   release-assets.sh targets                       the targets released, one a line
#   release-assets.sh target RUNNER_OS RUNNER_ARCH  the target for a runner (Linux|macOS, X64|ARM64); exit 1 if none
#   release-assets.sh version VERSION               VERSION as a tag (0.1.0 and v0.1.0 both give v0.1.0); exit 1 if not X.Y.Z
#   release-assets.sh name VERSION TARGET           the archive's file name
#   release-assets.sh package VERSION TARGET BINARY OUTDIR   write the archive of BINARY into OUTDIR
#   release-assets.sh sums OUTDIR                   write OUTDIR/SHA256SUMS over the files in OUTDIR
set -euo pipefail

TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin)

die() {
  echo "release-assets.sh: $*" >&2
  exit 1
}

release_target() {
  case "$1/$2" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    *) return 1 ;;
  esac
}

release_version() {
  local v="${1#v}"
  [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || return 1
  echo "v$v"
}

release_name() {
  echo "bindery-$1-$2.tar.gz"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

release_package() {
  local version target binary outdir root stage
  version=$(release_version "$1") || die "not a version: $1"
  target="$2"
  binary="$3"
  outdir="$4"
  [ -f "$binary" ] || die "no binary at $binary"
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  mkdir -p "$outdir"
  stage=$(mktemp -d)
  local dir="bindery-$version-$target"
  mkdir "$stage/$dir"
  # Artifacts lose their mode bits between jobs: set them here.
  install -m 0755 "$binary" "$stage/$dir/bindery"
  install -m 0644 "$root/LICENSE" "$root/README.md" "$stage/$dir/"
  # Reproducible: sorted names, no owner, the commit's time (or 0) as every file's time.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-0}" \
    -C "$stage" -cf - "$dir" | gzip -n > "$outdir/$(release_name "$version" "$target")"
  rm -rf "$stage"
  echo "$outdir/$(release_name "$version" "$target")"
}

release_sums() {
  local outdir="$1"
  (
    cd "$outdir"
    export LC_ALL=C
    : > SHA256SUMS.tmp
    for f in *; do
      case "$f" in SHA256SUMS | SHA256SUMS.tmp) continue ;; esac
      [ -f "$f" ] && echo "$(sha256_of "$f")  $f" >> SHA256SUMS.tmp
    done
    mv SHA256SUMS.tmp SHA256SUMS
  )
  echo "$outdir/SHA256SUMS"
}

# Sourced (by the installer): define the functions only.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  return 0
fi

cmd="${1:-}"
shift || true
case "$cmd" in
  targets) printf '%s\n' "${TARGETS[@]}" ;;
  target) [ $# -eq 2 ] || die "usage: target RUNNER_OS RUNNER_ARCH"; release_target "$@" ;;
  version) [ $# -eq 1 ] || die "usage: version VERSION"; release_version "$1" ;;
  name)
    [ $# -eq 2 ] || die "usage: name VERSION TARGET"
    v=$(release_version "$1") || die "not a version: $1"
    release_name "$v" "$2"
    ;;
  package) [ $# -eq 4 ] || die "usage: package VERSION TARGET BINARY OUTDIR"; release_package "$@" ;;
  sums) [ $# -eq 1 ] || die "usage: sums OUTDIR"; release_sums "$1" ;;
  *) die "unknown command '${cmd}' (targets, target, version, name, package, sums)" ;;
esac
