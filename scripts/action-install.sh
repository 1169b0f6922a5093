#!/usr/bin/env bash
# The GitHub Action's installer (action.yml runs it; tests/hosts/release.rs runs it through the runner
# emulator against a local release server). Two steps, with actions/cache between them:
#
#   action-install.sh plan     decide how bindery gets onto PATH; step outputs `method`, `version`,
#                              `target`, `dir` (the install root, cached) and `cache-key`
#   action-install.sh install  install by that method into `dir` (unless the cache restored it)
#                              and add `dir`/bin to GITHUB_PATH
#
# Methods, in order:
#   path      a bindery is on PATH already, of the wanted version (or of any version when none is
#             wanted): used as it is
#   download  the release archive for this runner (scripts/release-assets.sh names it) and
#             SHA256SUMS, from $BINDERY_RELEASE_URL/<tag>/ (default: the `repository` of the
#             action's Cargo.toml + /releases/download); the archive's SHA-256 must match
#   cargo     no release asset fits the runner (Windows, 32-bit): `cargo install --locked bindery
#             --version X.Y.Z` from crates.io
#   source    no version is wanted (the action is used by a branch or a commit, not a release tag):
#             `cargo install --locked --path` of the action's own checkout
#
# Environment: ACTION_PATH, ACTION_REF (github.action_ref), BINDERY_VERSION (input `version`),
# RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_PATH; for `install` also METHOD,
# VERSION, TARGET and DIR (the plan's outputs).
set -euo pipefail

# shellcheck source=scripts/release-assets.sh
. "$ACTION_PATH/scripts/release-assets.sh"

fail() {
  echo "::error title=bindery::$*"
  exit 1
}

# The plan's outputs, for `install` (action.yml passes them through env:).
METHOD="${METHOD:-}"
VERSION="${VERSION:-}"
TARGET="${TARGET:-}"
DIR="${DIR:-}"

exe=bindery
[ "${RUNNER_OS:-}" = Windows ] && exe=bindery.exe

# The version a bindery binary reports (`bindery 0.1.0 …` → v0.1.0), empty if it does not run.
version_of() {
  local out
  out=$("$1" --version 2>/dev/null) || return 0
  out="${out#bindery }"
  release_version "${out%% *}" || true
}

plan() {
  local wanted="" method target="" key dir
  if [ -n "${BINDERY_VERSION:-}" ]; then
    wanted=$(release_version "$BINDERY_VERSION") ||
      fail "version must be a release such as v0.1.0 (or empty for the action's own tag), not '$BINDERY_VERSION'"
  elif release_version "${ACTION_REF:-}" >/dev/null 2>&1 && [[ "${ACTION_REF}" == v* ]]; then
    # Used as bindery-dev/bindery@vX.Y.Z: that release.
    wanted="$ACTION_REF"
  fi
  dir="${RUNNER_TEMP:-/tmp}/bindery-install"
  local os="${RUNNER_OS:-Linux}" arch="${RUNNER_ARCH:-X64}"
  local found
  found=$(command -v bindery 2>/dev/null || true)
  if [ -n "$found" ] && { [ -z "$wanted" ] || [ "$(version_of "$found")" = "$wanted" ]; }; then
    method=path
    key=""
  elif [ -n "$wanted" ] && target=$(release_target "$os" "$arch"); then
    method=download
    key="bindery-$wanted-$target"
  elif [ -n "$wanted" ]; then
    method=cargo
    key="bindery-$wanted-cargo-$os-$arch"
  else
    method=source
    # The action's own sources: a new commit is a new key.
    local sum
    sum=$(cd "$ACTION_PATH" && { cat Cargo.toml Cargo.lock; find src -type f -name '*.rs' | LC_ALL=C sort | xargs cat; } | sha256_stdin)
    key="bindery-source-${sum:0:16}-$os-$arch"
  fi
  echo "bindery: method $method${wanted:+, version $wanted}${target:+, target $target}"
  {
    echo "method=$method"
    echo "version=$wanted"
    echo "target=$target"
    echo "dir=$dir"
    echo "cache-key=$key"
  } >> "$GITHUB_OUTPUT"
}

sha256_stdin() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -d ' ' -f 1
  else
    shasum -a 256 | cut -d ' ' -f 1
  fi
}

download() {
  local asset base tmp expected actual
  asset=$(release_name "$VERSION" "$TARGET")
  if [ -z "${BINDERY_RELEASE_URL:-}" ]; then
    local repository
    repository=$(sed -n 's/^repository = "\(.*\)"$/\1/p' "$ACTION_PATH/Cargo.toml")
    [ -n "$repository" ] || fail "no repository in $ACTION_PATH/Cargo.toml to download from"
    base="$repository/releases/download"
  else
    base="${BINDERY_RELEASE_URL%/}"
  fi
  tmp=$(mktemp -d "${RUNNER_TEMP:-/tmp}/bindery-download.XXXXXX")
  echo "downloading $base/$VERSION/$asset"
  curl --fail --silent --show-error --location --retry 3 -o "$tmp/$asset" "$base/$VERSION/$asset" ||
    fail "cannot download $base/$VERSION/$asset: is $VERSION released, with an archive for $TARGET?"
  curl --fail --silent --show-error --location --retry 3 -o "$tmp/SHA256SUMS" "$base/$VERSION/SHA256SUMS" ||
    fail "cannot download $base/$VERSION/SHA256SUMS to verify $asset"
  expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
  [ -n "$expected" ] || fail "SHA256SUMS of $VERSION has no line for $asset"
  actual=$(sha256_of "$tmp/$asset")
  if [ "$expected" != "$actual" ]; then
    rm -rf "$tmp"
    fail "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; not installed"
  fi
  echo "verified SHA-256 $actual"
  tar -xzf "$tmp/$asset" -C "$tmp"
  mkdir -p "$DIR/bin"
  install -m 0755 "$tmp/bindery-$VERSION-$TARGET/bindery" "$DIR/bin/$exe"
  rm -rf "$tmp"
}

install_bindery() {
  case "$METHOD" in
    path)
      echo "using $(command -v bindery) ($(bindery --version))"
      return 0
      ;;
    download | cargo | source) ;;
    *) fail "unknown install method '$METHOD'" ;;
  esac
  if [ -x "$DIR/bin/$exe" ] && { [ -z "$VERSION" ] || [ "$(version_of "$DIR/bin/$exe")" = "$VERSION" ]; }; then
    echo "restored from the cache: $("$DIR/bin/$exe" --version)"
  elif [ "$METHOD" = download ]; then
    download
    echo "installed $("$DIR/bin/$exe" --version)"
  else
    command -v cargo >/dev/null 2>&1 ||
      fail "bindery is not on PATH and cargo is not installed to build it (add a Rust toolchain step, or put bindery on PATH)"
    if [ "$METHOD" = cargo ]; then
      echo "no release archive for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: building bindery ${VERSION#v} from crates.io"
      cargo install --locked --quiet --root "$DIR" bindery --version "${VERSION#v}"
    else
      cargo install --locked --quiet --root "$DIR" --path "$ACTION_PATH"
    fi
    echo "built $("$DIR/bin/$exe" --version)"
  fi
  if [ -n "$VERSION" ] && [ "$(version_of "$DIR/bin/$exe")" != "$VERSION" ]; then
    fail "the installed bindery reports '$("$DIR/bin/$exe" --version)', not $VERSION"
  fi
  echo "$DIR/bin" >> "$GITHUB_PATH"
}

case "${1:-}" in
  plan) plan ;;
  install) install_bindery ;;
  *) fail "usage: action-install.sh plan|install" ;;
esac
